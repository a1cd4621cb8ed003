/**
 * The seeded train/validation split, decided row by row: a row is held out when a hash of its content and the
 * seed falls below the validation fraction. So the split is known without reading the file first (a streamed
 * run decides each row as it arrives), the same content lands on the same side whatever file or container holds
 * it, and equal rows never sit on both sides. Both sets keep the file's order.
 *
 * A hash gives about the asked share, not an exact count. Two fix-ups keep small files usable and are applied to
 * a whole set at once (`splitTrainValidation`, and a streamed run's first window): when no row is held out, the
 * row with the lowest draw is; when every row is, the one with the highest draw trains.
 */
import type { Example } from './types';

export interface SplitOptions {
  /** Share of the rows held out for validation, in [0, 1). 0 = no validation set. */
  validationFraction: number;
  seed: number;
}

export interface Split<T> {
  train: T[];
  validation: T[];
}

export function checkValidationFraction(fraction: number): void {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new RangeError(`the validation fraction must be at least 0 and below 1, got ${fraction}`);
  }
}

/** FNV-1a (32-bit) over a row's kind, roles and texts: its identity for the split, whatever container it was in. */
export function contentKey(example: Example): number {
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x1f, 0x01000193); // a separator, so ("ab", "c") and ("a", "bc") differ
  };
  if (example.kind === 'text') mix(example.text);
  else for (const m of example.messages) (mix(m.role), mix(m.content));
  return h >>> 0;
}

/** The row's draw in [0, 1) for this seed: the key and the seed mixed (murmur3's finaliser). */
export function splitDraw(key: number, seed: number): number {
  let z = (key ^ Math.imul((seed >>> 0) ^ Math.floor(seed / 0x1_0000_0000), 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return ((z ^ (z >>> 16)) >>> 0) / 0x1_0000_0000;
}

export function isHeldOut(key: number, options: SplitOptions): boolean {
  return options.validationFraction > 0 && splitDraw(key, options.seed) < options.validationFraction;
}

/** Rows a split of `n` rows holds out, expected (the Datasets view's estimate for a file it sampled). */
export function expectedValidationCount(n: number, fraction: number): number {
  checkValidationFraction(fraction);
  if (fraction === 0 || n === 0) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
}

/**
 * Splits a whole set: each item by its row's `key` (`contentKey`), with the fix-ups above. Refuses a set that
 * cannot give both sides (fewer than 2 items with a validation share asked).
 */
export function splitTrainValidation<T extends { key: number }>(items: readonly T[], options: SplitOptions): Split<T> {
  checkValidationFraction(options.validationFraction);
  if (options.validationFraction === 0 || items.length === 0) return { train: [...items], validation: [] };
  if (items.length < 2) {
    throw new RangeError(
      `a validation split needs at least 2 examples (one to train on, one to validate); the dataset has ${items.length}`,
    );
  }
  const held = items.map((item) => isHeldOut(item.key, options));
  fixUpSplit(items, held, options.seed);
  const train: T[] = [];
  const validation: T[] = [];
  items.forEach((item, i) => (held[i] ? validation : train).push(item));
  return { train, validation };
}

/** In place: holds out the lowest draw when nothing is held out, trains the highest when everything is. */
export function fixUpSplit(items: readonly { key: number }[], held: boolean[], seed: number): void {
  if (items.length < 2) return;
  const count = held.filter(Boolean).length;
  if (count > 0 && count < items.length) return;
  let pick = 0;
  let best = count === 0 ? Infinity : -Infinity;
  items.forEach((item, i) => {
    const draw = splitDraw(item.key, seed);
    if (count === 0 ? draw < best : draw > best) [pick, best] = [i, draw];
  });
  held[pick] = count === 0;
}
