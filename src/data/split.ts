/**
 * A seeded train/validation split: the same items, fraction and seed always give the same two sets, whatever the
 * machine. Both keep the file's order (the training iterator shuffles per epoch; validation runs in file order).
 */
import { DataRng } from './rng';

export interface SplitOptions {
  /** Share of the items held out for validation, in [0, 1). 0 = no validation set. */
  validationFraction: number;
  seed: number;
}

export interface Split<T> {
  train: T[];
  validation: T[];
}

/** How many of `n` items a split holds out (without the items: the Datasets view's estimate of a sampled file). */
export function validationCount(n: number, fraction: number): number {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new RangeError(`the validation fraction must be at least 0 and below 1, got ${fraction}`);
  }
  if (fraction === 0 || n === 0) return 0;
  if (n < 2) {
    throw new RangeError(`a validation split needs at least 2 examples (one to train on, one to validate); the dataset has ${n}`);
  }
  // At least one validation item when asked for any, and at least one left to train on.
  return Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
}

export function splitTrainValidation<T>(items: readonly T[], options: SplitOptions): Split<T> {
  const n = items.length;
  const count = validationCount(n, options.validationFraction);
  if (count === 0) return { train: [...items], validation: [] };
  const order = DataRng.fromSeed(options.seed).shuffle([...Array(n).keys()]);
  const held = new Uint8Array(n);
  for (const i of order.slice(0, count)) held[i] = 1;
  const train: T[] = [];
  const validation: T[] = [];
  items.forEach((item, i) => (held[i] ? validation : train).push(item));
  return { train, validation };
}
