import { describe, expect, it } from 'vitest';
import { IGNORE_TARGET, type TokenBatch } from './batch-types';
import { assembleBatch, fixedOrderBatches, maxTokensOf, planBatches } from './batches';
import type { TokenizedExample } from './tokenize';

/** Example k has ids 100k+0, 100k+1, …, so every token says which example and position it came from. */
function example(k: number, length: number, trainedFrom = 1): TokenizedExample {
  const ids = Uint32Array.from({ length }, (_, i) => 100 * k + i);
  const trained = Uint8Array.from({ length }, (_, i) => (i >= trainedFrom ? 1 : 0));
  return { ids, trained, trainedCount: trained.reduce((a, b) => a + b, 0), key: k, line: k + 1 };
}

/** Checks every slot of a batch against the examples it claims to hold, as a reader of batch-types.ts would. */
function checkBatch(batch: TokenBatch, examples: TokenizedExample[], indices: number[]): void {
  const T = indices.reduce((a, i) => a + examples[i].ids.length, 0);
  expect(batch.tokens.length).toBe(T);
  for (const array of [batch.targets, batch.positions, batch.seqStart]) expect(array.length).toBe(T);
  expect(batch.sequences).toBe(indices.length);
  let slot = 0;
  let trained = 0;
  for (const index of indices) {
    const { ids, trained: mask } = examples[index];
    const start = slot;
    for (let i = 0; i < ids.length; i++, slot++) {
      expect(batch.tokens[slot]).toBe(ids[i]);
      expect(batch.positions[slot]).toBe(i);
      expect(batch.seqStart[slot]).toBe(start);
      const target = i + 1 < ids.length && mask[i + 1] ? ids[i + 1] : IGNORE_TARGET;
      expect(batch.targets[slot]).toBe(target);
      if (target !== IGNORE_TARGET) {
        trained++;
        // A target is always the next token of the same example: never a token of another sequence.
        expect(Math.floor(target / 100)).toBe(Math.floor(batch.tokens[slot] / 100));
      }
    }
    expect(batch.targets[slot - 1]).toBe(IGNORE_TARGET); // a sequence's last slot is never trained
  }
  expect(batch.trainedTokens).toBe(trained);
}

describe('assembleBatch', () => {
  it('lays sequences end to end with targets, restarting positions and seqStart', () => {
    const examples = [example(0, 5, 3), example(1, 3, 1), example(2, 4, 2)];
    const batch = assembleBatch(examples, [2, 0, 1]);
    expect([...batch.tokens]).toEqual([200, 201, 202, 203, 0, 1, 2, 3, 4, 100, 101, 102]);
    expect([...batch.positions]).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 4, 0, 1, 2]);
    expect([...batch.seqStart]).toEqual([0, 0, 0, 0, 4, 4, 4, 4, 4, 9, 9, 9]);
    const I = IGNORE_TARGET;
    expect([...batch.targets]).toEqual([I, 202, 203, I, I, I, 3, 4, I, 101, 102, I]);
    expect([batch.sequences, batch.trainedTokens]).toEqual([3, 6]);
    checkBatch(batch, examples, [2, 0, 1]);
  });

  it('never lets a query see another example: every slot at or after seqStart belongs to its own example', () => {
    const examples = [example(0, 7), example(1, 2), example(2, 9), example(3, 1)];
    const batch = assembleBatch(examples, [0, 1, 2, 3]);
    for (let i = 0; i < batch.tokens.length; i++) {
      for (let j = batch.seqStart[i]; j <= i; j++) {
        expect(Math.floor(batch.tokens[j] / 100)).toBe(Math.floor(batch.tokens[i] / 100));
      }
      // …and the slot just before seqStart (if any) belongs to the previous example.
      if (batch.seqStart[i] > 0) {
        expect(Math.floor(batch.tokens[batch.seqStart[i] - 1] / 100)).not.toBe(Math.floor(batch.tokens[i] / 100));
      }
      expect(batch.positions[i]).toBe(i - batch.seqStart[i]);
    }
  });
});

describe('planBatches', () => {
  const lengths = [8, 3, 6, 2, 8, 5, 1, 7];
  const examples = lengths.map((n, k) => example(k, n));
  const order = [...examples.keys()];

  it('without packing: one example per sequence, up to microBatchSize sequences', () => {
    const plan = planBatches(examples, order, { microBatchSize: 3, seqLen: 8, packing: false });
    expect(plan).toEqual([[0, 1, 2], [3, 4, 5], [6, 7]]);
  });

  it('with packing: whole examples fill up to microBatchSize × seqLen slots, in order', () => {
    const shape = { microBatchSize: 2, seqLen: 8, packing: true };
    expect(maxTokensOf(shape)).toBe(16);
    const plan = planBatches(examples, order, shape);
    expect(plan).toEqual([[0, 1], [2, 3, 4], [5, 6, 7]]);
    for (const indices of plan) {
      const batch = assembleBatch(examples, indices);
      expect(batch.tokens.length).toBeLessThanOrEqual(16);
      checkBatch(batch, examples, indices);
    }
    // Every example lands in exactly one batch.
    expect(plan.flat().sort((a, b) => a - b)).toEqual(order);
  });

  it('refuses an example longer than the sequence length, and bad shapes', () => {
    expect(() => planBatches(examples, order, { microBatchSize: 2, seqLen: 7, packing: true })).toThrow(
      /example 0 has 8 tokens, more than the sequence length 7/,
    );
    expect(() => planBatches(examples, order, { microBatchSize: 0, seqLen: 8, packing: true })).toThrow(/micro-batch size/);
  });

  it('gives validation batches in file order', () => {
    const batches = fixedOrderBatches(examples, { microBatchSize: 3, seqLen: 8, packing: false });
    expect(batches.map((b) => b.tokens[0])).toEqual([0, 300, 600]);
    checkBatch(batches[1], examples, [3, 4, 5]);
  });
});
