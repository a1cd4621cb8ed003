import { appendFileSync, openAsBlob, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chatTemplateFor } from '../../model/chat';
import { createGgufTokenizer } from '../../model/tokenizer';
import { ggufTokenizerSource, STORIES_GGUF } from '../../model/tokenizer/testing/fixtures';
import type { TokenBatch } from '../batch-types';
import { TrainBatchIterator } from '../batch-iterator';
import { fixedOrderBatches } from '../batches';
import { parseDatasetBlob } from '../read';
import { splitTrainValidation } from '../split';
import { tokenizeExamples } from '../tokenize';
import { DEFAULT_READ_SETTINGS } from '../types';
import { type DataProgress, type StreamSettings, StreamedDataset } from './streamed-dataset';
import { numberedRows, SAMPLE, streamSettings } from './testing/fixtures';

const tokenizer = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF));
const template = chatTemplateFor(tokenizer, null);

function settings(over: Partial<StreamSettings> = {}): StreamSettings {
  return streamSettings({ tokenizer, template }, over);
}

const plain = (b: TokenBatch) => ({ tokens: [...b.tokens], targets: [...b.targets], positions: [...b.positions], seqStart: [...b.seqStart] });

async function take(stream: StreamedDataset, n: number): Promise<ReturnType<typeof plain>[]> {
  const out = [];
  for (let i = 0; i < n; i++) out.push(plain(await stream.next()));
  return out;
}

describe('StreamedDataset on a file that fits in one window', () => {
  it('gives exactly the batches of the in-memory pipeline for the same seed and split, epoch after epoch', async () => {
    const blob = await openAsBlob(SAMPLE);
    const s = settings();
    const stream = await StreamedDataset.open(blob, s);
    expect(stream.firstWindow.fits).toBe(true);
    expect(stream.epochEstimated).toBe(false);
    // Today's pipeline: the whole file parsed, tokenized and split in memory, batches from TrainBatchIterator.
    const parsed = await parseDatasetBlob(blob, { file: s.file });
    const tokenized = tokenizeExamples(parsed.examples, { ...s.tokenize, file: s.file });
    const split = splitTrainValidation(tokenized.examples, s.split);
    expect(stream.validation.map((e) => e.line)).toEqual(split.validation.map((e) => e.line));
    expect(fixedOrderBatches(stream.validation, s.batch).map(plain)).toEqual(fixedOrderBatches(split.validation, s.batch).map(plain));
    const reference = new TrainBatchIterator(split.train, { ...s.batch, seed: s.seed });
    expect(stream.batchesPerEpoch).toBe(reference.epochBatches);
    const n = 3 * reference.epochBatches + 2;
    const expected = Array.from({ length: n }, () => plain(reference.next().batch));
    expect(await take(stream, n)).toEqual(expected);
  });

  it('resumes at a saved position with the batches the first run would have given next', async () => {
    const blob = await openAsBlob(SAMPLE);
    const straight = await StreamedDataset.open(blob, settings());
    const all = await take(straight, 40);
    const first = await StreamedDataset.open(blob, settings());
    await take(first, 29);
    const saved = JSON.parse(JSON.stringify(first.position()));
    const resumed = await StreamedDataset.open(blob, settings(), saved);
    expect(await take(resumed, 11)).toEqual(all.slice(29));
  });
});

describe('StreamedDataset refuses what cannot train, naming the file', () => {
  it('an empty file, a file of bad rows only, one usable row with a validation share, and a split with no validation row fixed up', async () => {
    const open = (text: string, over: Partial<StreamSettings> = {}) => StreamedDataset.open(new Blob([text]), settings({ file: 'f.jsonl', ...over }));
    await expect(open('')).rejects.toThrow('f.jsonl: the file is empty (0 bytes)');
    await expect(open('{"text": oops\n{"nope": 1}\n')).rejects.toThrow(/f\.jsonl: no usable examples: all 2 rows were rejected; first: line 1/);
    await expect(open('{"text": "only one row"}\n')).rejects.toThrow(/f\.jsonl: a validation split needs at least 2 examples/);
    // Two rows and a 1% share: a hash would most likely hold out neither, so the row with the lowest draw is.
    const two = await open('{"text": "first row"}\n{"text": "second row"}\n', { split: { validationFraction: 0.01, seed: 3 } });
    expect(two.validation).toHaveLength(1);
    expect(two.wholeTrainSet).toHaveLength(1);
  });
});

describe('StreamedDataset on a file larger than its window', () => {
  const rows = 300;
  const windowRows = 64;
  const s = () => settings({ file: 'rows.jsonl', windowRows, batch: { microBatchSize: 2, seqLen: 128, packing: false } });
  const rowsOf = (batch: ReturnType<typeof plain>) =>
    tokenizer.decode(batch.tokens).match(/row (\d+)/g)!.map((m) => Number(m.slice(4)));

  it('streams windows of rows: every training row once per epoch, held-out rows never, shuffled within windows', async () => {
    const stream = await StreamedDataset.open(numberedRows(rows), s());
    expect(stream.firstWindow.fits).toBe(false);
    expect(stream.epochEstimated).toBe(true);
    const validation = new Set(stream.validation.map((e) => e.line));
    expect(validation.size).toBeGreaterThan(0);
    const seen: number[] = [];
    while (seen.length < rows - 60) seen.push(...rowsOf(plain(await stream.next())));
    // Within the first window, the order is shuffled; no row is trained twice in a pass.
    expect(seen.slice(0, 20)).not.toEqual([...seen.slice(0, 20)].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    for (const line of validation) expect(seen).not.toContain(line);
    // Windows come in file order: every row of the first window before any row of the third.
    const windowOf = (row: number) => Math.floor((row - 1) / windowRows);
    const firstOfThird = seen.findIndex((r) => windowOf(r) === 2);
    expect(seen.slice(firstOfThird).some((r) => windowOf(r) === 0)).toBe(false);
  });

  it('knows the epoch length once a pass has ended, and estimates it before', async () => {
    const stream = await StreamedDataset.open(numberedRows(rows), s());
    const estimates: number[] = [stream.batchesPerEpoch];
    let batches = 0;
    while (stream.epochEstimated) {
      await stream.next();
      batches++;
      estimates.push(stream.batchesPerEpoch);
    }
    // The exact count is known when the last window is read, before its batches are all taken.
    expect(stream.batchesPerEpoch).toBeGreaterThanOrEqual(batches);
    expect(Math.abs(estimates[0] - stream.batchesPerEpoch) / stream.batchesPerEpoch).toBeLessThan(0.25);
  });

  it('stops and resumes at the exact row, reading only from the saved window on', async () => {
    const straight = await StreamedDataset.open(numberedRows(rows), s());
    const all = await take(straight, 200);
    for (const at of [1, 37, 70, 141, 199]) {
      const first = await StreamedDataset.open(numberedRows(rows), s());
      await take(first, at);
      const saved = JSON.parse(JSON.stringify(first.position()));
      const resumed = await StreamedDataset.open(numberedRows(rows), s(), saved);
      const rest = await take(resumed, 200 - at);
      expect(rest.map(rowsOf)).toEqual(all.slice(at).map(rowsOf));
      expect(rest).toEqual(all.slice(at));
    }
  });

  it('resumes at the exact row in CSV (parsed again up to it) and Parquet (skipped to it) as in JSON Lines', async () => {
    const texts = Array.from({ length: rows }, (_, i) => `row ${i + 1} once upon a time`);
    const csv = new Blob([`text\n${texts.map((t) => `"${t}"`).join('\n')}\n`]);
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const parquet = new Blob([parquetWriteBuffer({ columnData: [{ name: 'text', data: texts, type: 'STRING' }] })]);
    for (const [file, blob] of [['rows.csv', csv], ['rows.parquet', parquet]] as const) {
      const opts = { ...s(), file };
      const all = await take(await StreamedDataset.open(blob, opts), 120);
      const first = await StreamedDataset.open(blob, opts);
      await take(first, 77);
      const resumed = await StreamedDataset.open(blob, opts, JSON.parse(JSON.stringify(first.position())));
      expect((await take(resumed, 43)).map(rowsOf), file).toEqual(all.slice(77).map(rowsOf));
    }
  });

  it('lists a bad row deep in the file with its line and goes on; refuses at it under "fail"', async () => {
    const progress: DataProgress[] = [];
    const stream = await StreamedDataset.open(numberedRows(rows, [250]), { ...s(), onProgress: (p) => progress.push(p) });
    for (let i = 0; i < 150; i++) await stream.next();
    const bad = progress.flatMap((p) => p.newBadRows);
    expect(bad).toHaveLength(1);
    expect(bad[0].line).toBe(250);
    const failing = await StreamedDataset.open(numberedRows(rows, [250]), { ...s(), read: { ...DEFAULT_READ_SETTINGS, onBadRow: 'fail' } });
    let error: unknown = null;
    try {
      for (let i = 0; i < 150; i++) await failing.next();
    } catch (e) {
      error = e;
    }
    expect(String(error)).toMatch(/rows\.jsonl: bad row: line 250 col \d+: invalid JSON/);
  });

  it('refuses a resume on a file that changed since the checkpoint, saying so', async () => {
    const first = await StreamedDataset.open(numberedRows(rows), s());
    await take(first, 5);
    const saved = first.position();
    await expect(StreamedDataset.open(numberedRows(rows + 1), s(), saved)).rejects.toThrow(
      /rows\.jsonl is not the file the checkpoint was made on .*the dataset changed since the checkpoint/,
    );
  });

  it('stops with a clear message when the file changes while it is read', async () => {
    const path = join(tmpdir(), `webtune-changing-${process.pid}.jsonl`);
    writeFileSync(path, new Uint8Array(await numberedRows(20_000).arrayBuffer()));
    const stream = await StreamedDataset.open(await openAsBlob(path), s());
    await take(stream, 10);
    appendFileSync(path, `${JSON.stringify({ text: 'a row added while training' })}\n`);
    let error: unknown = null;
    try {
      for (let i = 0; i < 20_000; i++) await stream.next();
    } catch (e) {
      error = e;
    }
    expect(String(error)).toMatch(/rows\.jsonl: could not be read any more \(.*\): it was changed, moved or deleted while in use/);
  });
});
