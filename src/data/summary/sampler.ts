/**
 * A file read once for its summary: exact counts and bad rows over all of it, and a bounded sample of its examples
 * for the token figures, so a 1 GB file costs the same memory as a small one.
 */
import type { ParseOptions, ParseResult } from '../parse/parse';
import { parseDatasetBlob } from '../read';
import { DataRng } from '../rng';
import type { Example } from '../types';
import { PREVIEW_ROWS } from './lengths';
import type { DatasetSampling } from './types';

/** Examples tokenized for the summary; a file with more is summarised from a sample of this many. */
export const SAMPLE_SIZE = 1000;
/** Fixed, so the same file always gives the same sample (and the same estimates). */
export const SAMPLE_SEED = 0x5eed;

/**
 * Keeps a uniform random sample of at most `size` examples of a stream of unknown length (Algorithm R: example
 * k > size replaces a kept one with probability size/k), plus the first `headSize` for the preview. Memory is
 * bounded by `size + headSize` examples whatever the file's length.
 */
export class ExampleSampler {
  private readonly kept: { example: Example; index: number }[] = [];
  readonly head: Example[] = [];
  /** Examples offered so far. */
  seen = 0;
  private readonly rng: DataRng;

  constructor(
    readonly size = SAMPLE_SIZE,
    readonly headSize = 2 * PREVIEW_ROWS,
    seed = SAMPLE_SEED,
  ) {
    this.rng = DataRng.fromSeed(seed);
  }

  add(example: Example): void {
    const index = this.seen++;
    if (this.head.length < this.headSize) this.head.push(example);
    if (this.kept.length < this.size) {
      this.kept.push({ example, index });
      return;
    }
    const slot = this.rng.below(this.seen);
    if (slot < this.size) this.kept[slot] = { example, index };
  }

  /** Whether some examples were left out (the figures will be estimates). */
  get sampled(): boolean {
    return this.seen > this.size;
  }

  /** The kept examples in file order (all of them when the file had no more than `size`). */
  examples(): Example[] {
    return [...this.kept].sort((a, b) => a.index - b.index).map((k) => k.example);
  }
}

/** What one read of the file gave: exact counts and bad rows, and the examples kept for the token figures. */
export interface SampledDataset {
  result: ParseResult;
  /** Every example when the file has at most `size`; else a seeded sample of them, in file order. */
  sample: Example[];
  /** The file's first examples, for the preview when `sample` is a sample. */
  head: Example[];
  examples: number;
  sampling: DatasetSampling | null;
}

/** Streams the file once: counts and bad rows over all of it, examples only into the bounded sampler. */
export async function sampleDataset(
  blob: Blob,
  options: Omit<ParseOptions, 'onExample'>,
  size = SAMPLE_SIZE,
): Promise<SampledDataset> {
  const sampler = new ExampleSampler(size);
  const result = await parseDatasetBlob(blob, { ...options, onExample: (example) => sampler.add(example) });
  const sampling = sampler.sampled ? { examples: sampler.size, of: sampler.seen } : null;
  return { result, sample: sampler.examples(), head: sampler.head, examples: sampler.seen, sampling };
}
