/**
 * Test fixtures shared by the stream's tests (in-thread and in a worker): the sample file, the stream settings
 * they start from, and a file of numbered rows. Each test brings its own tokenizer (built from the GGUF file, or
 * the loaded model's), so that is a parameter.
 */
import { DEFAULT_READ_SETTINGS } from '../../types';
import type { StreamSettings } from '../streamed-dataset';

export const SAMPLE = 'public/datasets/moon-stories.jsonl';

/** Settings for the sample file with seqLen 128, micro-batches of 4, a 10% validation split and seed 3. */
export function streamSettings(
  { tokenizer, template }: Pick<StreamSettings['tokenize'], 'tokenizer' | 'template'>,
  over: Partial<StreamSettings> = {},
): StreamSettings {
  return {
    file: 'moon-stories.jsonl',
    read: DEFAULT_READ_SETTINGS,
    tokenize: { tokenizer, template, seqLen: 128 },
    split: { validationFraction: 0.1, seed: 3 },
    batch: { microBatchSize: 4, seqLen: 128, packing: false },
    seed: 3,
    ...over,
  };
}

/** Rows of text, one per line, each naming its row so a batch says which rows it holds; rows in `bad` are broken JSON. */
export function numberedRows(n: number, bad: number[] = []): Blob {
  const lines = Array.from({ length: n }, (_, i) =>
    bad.includes(i + 1) ? '{"text": broken' : JSON.stringify({ text: `row ${i + 1} once upon a time` }),
  );
  return new Blob([`${lines.join('\n')}\n`]);
}
