import { openAsBlob } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { chatTemplateFor } from '../../../model/chat';
import { closeModel } from '../../../model/load';
import { loadModelFromPath } from '../../../model/load-node';
import type { TokenizerSpec } from '../../../model/tokenizer/spec';
import { STORIES_GGUF } from '../../../model/tokenizer/testing/fixtures';
import { DataPositionError } from '../../batch-iterator';
import type { TokenBatch } from '../../batch-types';
import { DatasetError, DEFAULT_READ_SETTINGS } from '../../types';
import type { DataStream } from '../data-stream';
import { type DataProgress, type StreamSettings, StreamedDataset } from '../streamed-dataset';
import { numberedRows, SAMPLE, streamSettings } from '../testing/fixtures';
import { nodeDataOpener } from './node';

const model = await loadModelFromPath(STORIES_GGUF);
const { tokenizer, tokenizerSpec } = model;
const template = chatTemplateFor(tokenizer, null);

function settings(over: Partial<StreamSettings> = {}): StreamSettings {
  return streamSettings({ tokenizer, template }, over);
}

const plain = (b: TokenBatch) => ({
  tokens: [...b.tokens],
  targets: [...b.targets],
  positions: [...b.positions],
  seqStart: [...b.seqStart],
  sequences: b.sequences,
  trainedTokens: b.trainedTokens,
});

const opened: DataStream[] = [];
afterEach(() => opened.splice(0).forEach((s) => s.close()));
afterAll(() => closeModel(model));

async function inThread(blob: Blob, s: StreamSettings, position?: unknown): Promise<DataStream> {
  const stream = await StreamedDataset.open(blob, s, position);
  opened.push(stream);
  return stream;
}

/** The same stream in a worker thread: by path for the sample file (as the CLI does), else the Blob posted. */
async function remote(blob: Blob, s: StreamSettings, position?: unknown, path?: string): Promise<DataStream> {
  const stream = await nodeDataOpener(path)(blob, s, tokenizerSpec);
  opened.push(stream);
  if (position !== undefined) await stream.restore(position);
  return stream;
}

/** Each batch with what the stream says right after it: its position and epoch length. */
async function take(stream: DataStream, n: number) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const batch = plain(await stream.next());
    out.push({ batch, position: JSON.stringify(stream.position()), epochBatches: stream.batchesPerEpoch, estimated: stream.epochEstimated });
  }
  return out;
}

function opening(stream: DataStream) {
  return {
    validation: stream.validation.map((e) => ({ ...e, ids: [...e.ids], trained: [...e.trained] })),
    firstWindow: stream.firstWindow,
    position: JSON.stringify(stream.position()),
    epochBatches: stream.batchesPerEpoch,
    estimated: stream.epochEstimated,
  };
}

async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('RemoteStreamedDataset (a data worker thread) against StreamedDataset in the thread', () => {
  it('gives the same validation set, batches, positions and epoch length on the sample file, epoch after epoch', async () => {
    const blob = await openAsBlob(SAMPLE);
    const local = await inThread(blob, settings());
    const far = await remote(blob, settings(), undefined, SAMPLE);
    expect(opening(far)).toEqual(opening(local));
    expect(far.firstWindow.fits).toBe(true);
    const n = 3 * local.batchesPerEpoch + 2;
    expect(await take(far, n)).toEqual(await take(local, n));
  });

  it('gives the same batches, positions and epoch estimates on a file of many windows', async () => {
    const s = settings({ file: 'rows.jsonl', windowRows: 64, batch: { microBatchSize: 2, seqLen: 128, packing: false } });
    const blob = numberedRows(300);
    const local = await inThread(blob, s);
    const far = await remote(blob, s);
    expect(opening(far)).toEqual(opening(local));
    expect(far.firstWindow.fits).toBe(false);
    const straight = await take(local, 330);
    // Past the first epoch, whose length was only an estimate while it streamed.
    expect(straight.some((b) => b.estimated)).toBe(true);
    expect(straight.at(-1)!.estimated).toBe(false);
    expect(await take(far, 330)).toEqual(straight);
  });

  it('resumes at a saved position (opened, then restored, as the loop does) with the batches a straight run gives', async () => {
    const s = settings({ file: 'rows.jsonl', windowRows: 64, batch: { microBatchSize: 2, seqLen: 128, packing: false } });
    const blob = numberedRows(300);
    const straight = await take(await inThread(blob, s), 200);
    for (const at of [1, 70, 199]) {
      const first = await remote(blob, s);
      await take(first, at);
      const saved = JSON.parse(JSON.stringify(first.position()));
      expect(saved).toEqual(JSON.parse(straight[at - 1].position));
      // The worker has read ahead of batch `at` by now; the restore drops that and reads on from the position.
      const resumed = await remote(blob, s, saved);
      expect(JSON.stringify(resumed.position())).toBe(straight[at - 1].position);
      expect(await take(resumed, 200 - at)).toEqual(straight.slice(at));
    }
    // Windows shorter than the read-ahead: the restore comes while the worker is reading the next window.
    const short = { ...s, windowRows: 6 };
    const shortStraight = await take(await inThread(blob, short), 60);
    for (const at of [5, 31]) {
      const resumed = await remote(blob, short, JSON.parse(shortStraight[at - 1].position));
      expect(await take(resumed, 60 - at)).toEqual(shortStraight.slice(at));
    }
    // A position saved in the thread resumes in the worker too, on the sample file by path.
    const sample = await openAsBlob(SAMPLE);
    const all = await take(await inThread(sample, settings()), 40);
    const resumed = await remote(sample, settings(), JSON.parse(all[28].position), SAMPLE);
    expect(await take(resumed, 11)).toEqual(all.slice(29));
  });

  it('restores right after opening, while the next window is still read in the background (in the thread too)', async () => {
    // The loop opens the stream, then restores a resumed run's position: the open's read of window 2 may not be done.
    // A Blob on disk, so that read is real I/O and still under way when the restore comes.
    const s = settings({ windowRows: 64 });
    const blob = await openAsBlob(SAMPLE);
    const straight = await take(await inThread(blob, s), 40);
    const saved = JSON.parse(straight[1].position);
    for (const open of [inThread, (b: Blob, o: StreamSettings) => remote(b, o, undefined, SAMPLE)]) {
      const resumed = await open(blob, s);
      await resumed.restore(saved);
      expect(await take(resumed, 38)).toEqual(straight.slice(2));
    }
  });

  it('tokenizes in the worker: the calling thread\'s tokenizer is never used', async () => {
    const untouchable = new Proxy(tokenizer, {
      get: () => {
        throw new Error('the tokenizer of the calling thread was used');
      },
    });
    const s = settings();
    const far = await remote(await openAsBlob(SAMPLE), { ...s, tokenize: { ...s.tokenize, tokenizer: untouchable } }, undefined, SAMPLE);
    const local = await inThread(await openAsBlob(SAMPLE), s);
    expect(await take(far, 5)).toEqual(await take(local, 5));
  });

  it('forwards the pipeline\'s progress, bad rows included', async () => {
    const progress: DataProgress[] = [];
    const s = settings({ file: 'rows.jsonl', windowRows: 64, batch: { microBatchSize: 2, seqLen: 128, packing: false } });
    const far = await remote(numberedRows(300, [250]), { ...s, onProgress: (p) => progress.push(p) });
    for (let i = 0; i < 150; i++) await far.next();
    const bad = progress.flatMap((p) => p.newBadRows);
    expect(bad.map((b) => b.line)).toEqual([250]);
    expect(progress.at(-1)!.rowsTokenized).toBeGreaterThan(0);
  });

  it('fails with the same error classes and messages, at open and mid-stream', async () => {
    const s = settings({ file: 'rows.jsonl', windowRows: 64, batch: { microBatchSize: 2, seqLen: 128, packing: false } });
    // Refused at open: every row bad.
    const allBad = numberedRows(3, [1, 2, 3]);
    const openLocal = await failureOf(() => inThread(allBad, s));
    const openFar = await failureOf(() => remote(allBad, s));
    expect(openLocal).toBeInstanceOf(DatasetError);
    expect(openFar).toBeInstanceOf(DatasetError);
    expect((openFar as DatasetError).message).toBe((openLocal as DatasetError).message);
    expect((openFar as DatasetError).file).toBe('rows.jsonl');
    expect((openFar as DatasetError).badRows).toEqual((openLocal as DatasetError).badRows);
    expect((openFar as DatasetError).badRows).toHaveLength(3);

    // Refused deep in the file, on the batch where the thread's stream refuses it.
    const failing = { ...s, read: { ...DEFAULT_READ_SETTINGS, onBadRow: 'fail' as const } };
    const count = async (stream: DataStream) => {
      let batches = 0;
      const error = await failureOf(async () => {
        for (;;) (await stream.next(), batches++);
      });
      return { batches, error };
    };
    const local = await count(await inThread(numberedRows(300, [250]), failing));
    const far = await count(await remote(numberedRows(300, [250]), failing));
    expect(far.batches).toBe(local.batches);
    expect(far.error).toBeInstanceOf(DatasetError);
    expect((far.error as Error).message).toBe((local.error as Error).message);
    expect((far.error as Error).message).toMatch(/^rows\.jsonl: bad row: line 250 col \d+: invalid JSON/);

    // A resume on a file that changed: DataPositionError. A window of no rows: RangeError.
    const saved = (await inThread(numberedRows(300), s)).position();
    const changedLocal = await failureOf(() => inThread(numberedRows(301), s, saved));
    const changedFar = await failureOf(() => remote(numberedRows(301), s, saved));
    expect(changedFar).toBeInstanceOf(DataPositionError);
    expect((changedFar as Error).message).toBe((changedLocal as Error).message);
    const noWindow = { ...s, windowRows: 0 };
    const rangeLocal = await failureOf(() => inThread(numberedRows(3), noWindow));
    const rangeFar = await failureOf(() => remote(numberedRows(3), noWindow));
    expect(rangeFar).toBeInstanceOf(RangeError);
    expect((rangeFar as Error).message).toBe((rangeLocal as Error).message);
  });

  it('refuses a file-backed Blob without its path, saying why', async () => {
    const blob = await openAsBlob(SAMPLE);
    await expect(nodeDataOpener()(blob, settings(), tokenizerSpec as TokenizerSpec)).rejects.toThrow(/not cloneable/);
  });
});
