import { describe, expect, it } from 'vitest';
import { chatTemplateFor } from '../model/chat';
import { createGgufTokenizer } from '../model/tokenizer';
import { ggufTokenizerSource, STORIES_GGUF } from '../model/tokenizer/testing/fixtures';
import type { DatasetProgress, DatasetSettings } from './dataset-protocol';
import { type DataTokenizer, DatasetRequestError, DatasetWorkbench, Superseded } from './dataset-workbench';

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
});
