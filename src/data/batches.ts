/**
 * Tokenized examples → TokenBatches (src/data/batch-types.ts), padding-free: a batch is its sequences laid end
 * to end, T = the sum of their lengths ≤ maxTokens = microBatchSize × seqLen slots.
 *
 *  without packing  one example per sequence, up to `microBatchSize` sequences per batch.
 *  with packing     as many whole examples as fit in maxTokens slots, each still its own sequence: positions restart
 *                   at 0 and seqStart points at its first slot, so no example attends to another.
 *
 * Grouping keeps the given order (greedy, no reordering), so a batch depends only on that order.
 */
import { IGNORE_TARGET, type TokenBatch } from './batch-types';
import type { TokenizedExample } from './tokenize';

export interface BatchShape {
  /** Sequences per micro-batch without packing; with packing, microBatchSize × seqLen is the slot budget. */
  microBatchSize: number;
  /** Longest sequence (tokens); every example must fit (tokenizeExamples makes sure). */
  seqLen: number;
  packing: boolean;
}

/** Token slots one micro-batch may hold: the engine plans its activations for this many. */
export function maxTokensOf(shape: BatchShape): number {
  return shape.microBatchSize * shape.seqLen;
}

export function checkBatchShape(shape: BatchShape): void {
  const { microBatchSize, seqLen } = shape;
  if (!Number.isInteger(microBatchSize) || microBatchSize < 1) {
    throw new RangeError(`the micro-batch size must be a positive integer, got ${microBatchSize}`);
  }
  if (!Number.isInteger(seqLen) || seqLen < 2) {
    throw new RangeError(`the sequence length must be an integer ≥ 2, got ${seqLen}`);
  }
}

/**
 * Groups example indices (taken in `order`) into batches. Returns one index list per batch.
 * Throws if an example is longer than `seqLen`: it would not fit the engine's plan.
 */
export function planBatches(
  examples: readonly TokenizedExample[],
  order: readonly number[],
  shape: BatchShape,
): number[][] {
  checkBatchShape(shape);
  const budget = maxTokensOf(shape);
  const batches: number[][] = [];
  let current: number[] = [];
  let used = 0;
  for (const index of order) {
    const length = examples[index].ids.length;
    if (length > shape.seqLen) {
      throw new RangeError(`example ${index} has ${length} tokens, more than the sequence length ${shape.seqLen}`);
    }
    const full = shape.packing ? used + length > budget : current.length === shape.microBatchSize;
    if (full) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(index);
    used += length;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** Lays the chosen examples end to end. Targets: the next token of the same example where it is trained. */
export function assembleBatch(examples: readonly TokenizedExample[], indices: readonly number[]): TokenBatch {
  const T = indices.reduce((sum, i) => sum + examples[i].ids.length, 0);
  const tokens = new Uint32Array(T); // [T]
  const targets = new Int32Array(T).fill(IGNORE_TARGET); // [T]
  const positions = new Uint32Array(T); // [T]
  const seqStart = new Uint32Array(T); // [T]
  let offset = 0;
  let trainedTokens = 0;
  for (const index of indices) {
    const { ids, trained } = examples[index];
    const n = ids.length;
    tokens.set(ids, offset);
    seqStart.fill(offset, offset, offset + n);
    for (let i = 0; i < n; i++) {
      positions[offset + i] = i;
      // Slot i predicts token i + 1; the sequence's last slot has no next token of its own, so it is not trained.
      if (i + 1 < n && trained[i + 1]) {
        targets[offset + i] = ids[i + 1];
        trainedTokens++;
      }
    }
    offset += n;
  }
  return { tokens, targets, positions, seqStart, sequences: indices.length, trainedTokens };
}

/** Validation (or evaluation) batches: every example once, in the given order. */
export function fixedOrderBatches(examples: readonly TokenizedExample[], shape: BatchShape): TokenBatch[] {
  const order = [...examples.keys()];
  return planBatches(examples, order, shape).map((indices) => assembleBatch(examples, indices));
}
