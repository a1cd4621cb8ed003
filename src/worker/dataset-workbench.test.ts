import { describe, expect, it } from 'vitest';
import { chatTemplateFor } from '../model/chat';
import { createGgufTokenizer } from '../model/tokenizer';
import { ggufTokenizerSource, STORIES_GGUF } from '../model/tokenizer/testing/fixtures';
import type { DatasetProgress, DatasetSettings } from './dataset-protocol';
import { type DataTokenizer, DatasetRequestError, DatasetWorkbench, PROGRESS_INTERVAL_MS, Superseded } from './dataset-workbench';

const tokenizer = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF));
const data: DataTokenizer = {
  tokenizer,
  template: chatTemplateFor(tokenizer, null),
  info: { model: 'stories260K', origin: 'bundled', template: 'plain' },
};
const getTokenizer = () => Promise.resolve(data);

const SETTINGS: DatasetSettings = {
  format: 'auto',
  mapping: {},
  onBadRow: 'skip',
  seqLen: 256,
  trainOnInputs: false,
  validationFraction: 0.5,
  seed: 3,
};

const CSV = 'question,answer\nWhat is the moon?,A rock in the sky.\nWho hums?,The moon.\nWhere?,"Up, high."\nbroken\n';

async function failureOf(promise: Promise<unknown>): Promise<DatasetRequestError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetRequestError);
  return error as DatasetRequestError;
}

describe('DatasetWorkbench', () => {
  it('refuses unmapped columns but names them, then reads the file once they are mapped', async () => {
    const bench = new DatasetWorkbench();
    const phases: DatasetProgress['phase'][] = [];
    const progress = (p: DatasetProgress) => phases.push(p.phase);
    const file = new Blob([CSV]);
    const refused = await failureOf(bench.open(file, 'qa.csv', SETTINGS, getTokenizer, progress));
    expect(refused.failure).toMatchObject({ kind: 'dataset', columns: ['question', 'answer'], file: 'qa.csv' });
    expect(refused.failure.message).toContain('missing columns: the header (line 1) has "question", "answer"');

    const mapped: DatasetSettings = {
      ...SETTINGS,
      format: 'prompt-completion',
      mapping: { prompt: 'question', completion: 'answer' },
    };
    const summary = await bench.update(mapped, getTokenizer, progress);
    expect(summary).toMatchObject({ file: 'qa.csv', container: 'csv', shape: 'prompt-completion', rows: 4, examples: 3 });
    expect(summary.badRows).toEqual([{ line: 5, reason: 'has 1 field; the header has 2' }]);
    expect(summary.split.train + summary.split.validation).toBe(3);
    expect(summary.preview.map((r) => r.line)).toEqual([2, 3, 4]);

    // Only the split changes: nothing is read again.
    phases.length = 0;
    const resplit = await bench.update({ ...mapped, validationFraction: 0 }, getTokenizer, progress);
    expect(phases).toEqual([]);
    expect(resplit.split).toEqual({ train: 3, validation: 0 });
  });

  it('stops an older request when a newer one arrives', async () => {
    const bench = new DatasetWorkbench();
    const rows = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ text: `Story number ${i}.` })).join('\n');
    const file = new Blob([rows]);
    const older = bench.open(file, 'many.jsonl', SETTINGS, getTokenizer, () => undefined);
    const newer = bench.update({ ...SETTINGS, onBadRow: 'fail' }, getTokenizer, () => undefined);
    await expect(older).rejects.toBeInstanceOf(Superseded);
    expect((await newer).examples).toBe(2000);
  });

  /** `n` prompt/completion lines; every 100th is invalid JSON and every 100th (offset 50) lacks its completion. */
  function manyRows(n: number): { text: string; bad: number[] } {
    const bad: number[] = [];
    const lines = Array.from({ length: n }, (_, i) => {
      const line = i + 1;
      if (line % 100 === 0) return bad.push(line), `{"prompt": "cut short ${line}`;
      if (line % 100 === 50) return bad.push(line), JSON.stringify({ prompt: `no answer ${line}` });
      const long = line % 10 === 0 ? ' and then the moon hummed a long song all night long' : '';
      return JSON.stringify({ prompt: `Tell story ${line}.`, completion: `The moon hummed ${line}${long}.` });
    });
    return { text: lines.join('\n'), bad };
  }

  it('counts every row exactly but tokenizes only a seeded sample when the file is larger than it', async () => {
    const { text, bad } = manyRows(1000);
    const file = new Blob([text]);
    const bench = new DatasetWorkbench(50);
    const summary = await bench.open(file, 'many.jsonl', SETTINGS, getTokenizer, () => undefined);
    expect(summary).toMatchObject({ rows: 1000, examples: 980, badRowCount: 20, shape: 'prompt-completion' });
    expect(summary.badRows.map((r) => r.line)).toEqual(bad);
    expect(summary.badRows[0]).toMatchObject({ line: 50, reason: expect.stringContaining('completion') });
    expect(summary.badRows[1]).toMatchObject({ line: 100, reason: expect.stringContaining('invalid JSON') });
    expect(summary.sampling).toEqual({ examples: 50, of: 980 });
    expect(summary.histogram.reduce((n, b) => n + b.count, 0)).toBe(50);
    expect(summary.split.train + summary.split.validation).toBe(980);
    expect(summary.preview.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6]);

    // The same file gives the same sample, hence the same estimates.
    const again = await new DatasetWorkbench(50).open(file, 'many.jsonl', SETTINGS, getTokenizer, () => undefined);
    expect(again.histogram).toEqual(summary.histogram);
    expect(again.totalTokens).toBe(summary.totalTokens);

    // Estimated tokens land near the exact figure (the long rows are a tenth of the file).
    const exact = await new DatasetWorkbench(5000).open(file, 'many.jsonl', SETTINGS, getTokenizer, () => undefined);
    expect(exact.sampling).toBeNull();
    expect(exact.histogram.reduce((n, b) => n + b.count, 0)).toBe(980);
    expect(Math.abs(summary.totalTokens - exact.totalTokens) / exact.totalTokens).toBeLessThan(0.1);
    // The split of a sampled file is the expected share; the whole file's is decided row by row by a hash, so it
    // lands within a few binomial standard deviations of it (980 rows at one half: 16).
    expect(exact.split.train + exact.split.validation).toBe(980);
    expect(Math.abs(exact.split.validation - summary.split.validation)).toBeLessThanOrEqual(4 * 16);

    // A shorter sequence length is re-estimated from the tokens already made.
    const short = await bench.update({ ...SETTINGS, seqLen: 20 }, getTokenizer, () => undefined);
    const exactShort = await new DatasetWorkbench(5000).open(file, 'many.jsonl', { ...SETTINGS, seqLen: 20 }, getTokenizer, () => undefined);
    expect(exactShort.overLength).toBeGreaterThan(0);
    expect(short.overLength).toBeGreaterThan(0);
    expect(short.overLength % 1).toBe(0);
  });

  it('reports reading progress in bytes, at most once per interval, ending at the whole file', async () => {
    const { text } = manyRows(3000);
    const bytes = new TextEncoder().encode(text);
    // Many small chunks, read as slowly as a big file would be.
    const chunks = Array.from({ length: 60 }, (_, i) => bytes.subarray(Math.floor((i * bytes.length) / 60), Math.floor(((i + 1) * bytes.length) / 60)));
    const slow = {
      size: bytes.length,
      slice: (start?: number, end?: number) => new Blob([bytes.subarray(start, end)]),
      stream: () =>
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            const next = chunks.shift();
            if (!next) return controller.close();
            await new Promise((resolve) => setTimeout(resolve, 5));
            controller.enqueue(next);
          },
        }),
    } as unknown as Blob;
    const seen: { at: number; progress: DatasetProgress }[] = [];
    await new DatasetWorkbench(50).open(slow, 'slow.jsonl', SETTINGS, getTokenizer, (progress) =>
      seen.push({ at: performance.now(), progress }),
    );
    const reading = seen.filter((s) => s.progress.phase === 'reading');
    expect(reading.length).toBeGreaterThan(1);
    expect(reading.length).toBeLessThan(60);
    expect(reading.at(-1)!.progress).toMatchObject({ done: bytes.length, total: bytes.length });
    for (let i = 1; i < reading.length - 1; i++) {
      expect(reading[i].at - reading[i - 1].at).toBeGreaterThanOrEqual(PROGRESS_INTERVAL_MS - 1);
    }
  });

  it('stops reading when cancelled, forgets the file and says so when settings come for it', async () => {
    const { text } = manyRows(2000);
    const bench = new DatasetWorkbench(50);
    let calls = 0;
    const reading = bench.open(new Blob([text]), 'big.jsonl', SETTINGS, getTokenizer, () => {
      if (++calls === 1) bench.cancel();
    });
    const cancelled = await failureOf(reading);
    expect(cancelled.failure).toMatchObject({ kind: 'cancelled', file: 'big.jsonl' });
    expect(cancelled.failure.message).toContain('Reading big.jsonl was cancelled');
    const later = await failureOf(bench.update({ ...SETTINGS, seqLen: 64 }, getTokenizer, () => undefined));
    expect(later.failure.kind).toBe('cancelled');
    // A new file opens as usual.
    const fresh = await bench.open(new Blob([text]), 'big.jsonl', SETTINGS, getTokenizer, () => undefined);
    expect(fresh.rows).toBe(2000);
  });
});
