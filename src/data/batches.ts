/**
 * Tokenized examples → TokenBatches (src/data/batch-types.ts), padding-free: a batch is its sequences laid end
 * to end, T = the sum of their lengths ≤ maxTokens = microBatchSize × seqLen slots.
 *
 *  without packing  one example per sequence, up to `microBatchSize` sequences per batch.
 *  with packing     as many whole examples as fit in maxTokens slots, each still its own sequence: positions restart
 *                   at 0 and seqStart points at its first slot, so no example attends to another.
 *
 * Grouping keeps the given order (greedy, no reordering), so a batch depends only on that order.
 *
 * Prompt tuning (`virtualTokens` P > 0): every sequence starts with P virtual slots (placeholder token 0, never
 * trained, positions 0..P-1) whose embeddings the engine takes from the learned prompt; the example's own tokens
 * follow at positions P... Each sequence costs P + its length of the sequence length and of the slot budget.
 */
import { IGNORE_TARGET, type TokenBatch } from './batch-types';
import type { TokenizedExample } from './tokenize';

export interface BatchShape {
  /** Sequences per micro-batch without packing; with packing, microBatchSize × seqLen is the slot budget. */
  microBatchSize: number;
  /** Longest sequence (tokens); every example must fit (tokenizeExamples makes sure). */
  seqLen: number;
  packing: boolean;
  /** Prompt tuning's virtual tokens at the head of every sequence (0: none). */
  virtualTokens?: number;
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
  const p = shape.virtualTokens ?? 0;
  if (!Number.isInteger(p) || p < 0) throw new RangeError(`the virtual tokens must be an integer ≥ 0, got ${p}`);
  if (p > 0 && seqLen - p < 2) {
    throw new RangeError(`${p} virtual tokens leave ${Math.max(0, seqLen - p)} of the sequence length ${seqLen} for text; it needs at least 2`);
  }
}

/** Tokens of text a sequence may hold: the sequence length less the virtual tokens. */
export function textTokensOf(shape: Pick<BatchShape, 'seqLen' | 'virtualTokens'>): number {
  return shape.seqLen - (shape.virtualTokens ?? 0);
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
  const p = shape.virtualTokens ?? 0;
  const batches: number[][] = [];
  let current: number[] = [];
  let used = 0;
  for (const index of order) {
    const length = p + examples[index].ids.length;
    if (length > shape.seqLen) {
      const virtual = p > 0 ? ` (with ${p} virtual tokens)` : '';
      throw new RangeError(`example ${index} has ${length} tokens${virtual}, more than the sequence length ${shape.seqLen}`);
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

/**
 * Lays the chosen examples end to end, each after its P virtual slots. Targets: the next token of the same example
 * where it is trained (never a virtual slot's).
 */
export function assembleBatch(examples: readonly TokenizedExample[], indices: readonly number[], virtualTokens = 0): TokenBatch {
  const p = virtualTokens;
  const T = indices.reduce((sum, i) => sum + p + examples[i].ids.length, 0);
  const tokens = new Uint32Array(T); // [T]
  const targets = new Int32Array(T).fill(IGNORE_TARGET); // [T]
  const positions = new Uint32Array(T); // [T]
  const seqStart = new Uint32Array(T); // [T]
  let offset = 0;
  let trainedTokens = 0;
  for (const index of indices) {
    const { ids, trained } = examples[index];
    const n = ids.length;
    seqStart.fill(offset, offset, offset + p + n);
    for (let v = 0; v < p; v++) positions[offset + v] = v; // token 0, untrained: a placeholder the prompt replaces
    offset += p;
    tokens.set(ids, offset);
    for (let i = 0; i < n; i++) {
      positions[offset + i] = p + i;
      // Slot i predicts token i + 1; the sequence's last slot has no next token of its own, so it is not trained.
      if (i + 1 < n && trained[i + 1]) {
        targets[offset + i] = ids[i + 1];
        trainedTokens++;
      }
    }
    offset += n;
  }
  return { tokens, targets, positions, seqStart, sequences: indices.length, trainedTokens, ...(p > 0 ? { virtualTokens: p } : {}) };
}

/** Validation (or evaluation) batches: every example once, in the given order. */
export function fixedOrderBatches(examples: readonly TokenizedExample[], shape: BatchShape): TokenBatch[] {
  const order = [...examples.keys()];
  return planBatches(examples, order, shape).map((indices) => assembleBatch(examples, indices, shape.virtualTokens));
}
