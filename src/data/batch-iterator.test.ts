import { describe, expect, it } from 'vitest';
import { type DataPosition, DataPositionError, TrainBatchIterator } from './batch-iterator';
import type { TokenBatch } from './batch-types';
import { DataRng } from './rng';
import { isHeldOut, splitTrainValidation } from './split';
import type { TokenizedExample } from './tokenize';

function example(k: number, length: number): TokenizedExample {
  const ids = Uint32Array.from({ length }, (_, i) => 1000 * k + i);
  const trained = Uint8Array.from({ length }, (_, i) => (i > 0 ? 1 : 0));
  return { ids, trained, trainedCount: length - 1, key: k, line: k + 1 };
}
const examples = Array.from({ length: 23 }, (_, k) => example(k, 2 + ((k * 7) % 11)));
const firstExamples = (batch: TokenBatch) => [...new Set([...batch.tokens].map((t) => Math.floor(t / 1000)))];

describe('DataRng', () => {
  it('is deterministic per seed, differs between seeds, and continues from a saved state', () => {
    const a = DataRng.fromSeed(42);
    const b = DataRng.fromSeed(42);
    const draws = Array.from({ length: 10 }, () => a.nextU32());
    expect(Array.from({ length: 10 }, () => b.nextU32())).toEqual(draws);
    expect(DataRng.fromSeed(43).nextU32()).not.toBe(draws[0]);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const next = Array.from({ length: 5 }, () => a.nextU32());
    const c = new DataRng(saved);
    expect(Array.from({ length: 5 }, () => c.nextU32())).toEqual(next);
  });

  it('shuffles into a permutation, the same for the same seed', () => {
    const order = DataRng.fromSeed(1).shuffle([...Array(50).keys()]);
    expect([...order].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(order).not.toEqual([...Array(50).keys()]);
    expect(DataRng.fromSeed(1).shuffle([...Array(50).keys()])).toEqual(order);
  });
});

describe('splitTrainValidation', () => {
  const items = [...Array(1000).keys()].map((key) => ({ key: Math.imul(key, 2654435761) >>> 0 }));
  const keys = (list: { key: number }[]) => list.map((item) => item.key);

  it('decides row by row: deterministic, disjoint, complete, file order kept, about the share, new with the seed', () => {
    const a = splitTrainValidation(items, { validationFraction: 0.1, seed: 5 });
    expect(splitTrainValidation(items, { validationFraction: 0.1, seed: 5 })).toEqual(a);
    expect(a.validation.length).toBeGreaterThan(70);
    expect(a.validation.length).toBeLessThan(130);
    expect([...keys(a.train), ...keys(a.validation)].sort()).toEqual(keys(items).sort());
    const index = new Map(items.map((item, i) => [item.key, i]));
    const inOrder = (list: { key: number }[]) => list.every((item, i) => i === 0 || index.get(item.key)! > index.get(list[i - 1].key)!);
    expect(inOrder(a.train) && inOrder(a.validation)).toBe(true);
    expect(splitTrainValidation(items, { validationFraction: 0.1, seed: 6 }).validation).not.toEqual(a.validation);
    // Row by row: a row's side does not depend on the other rows.
    const half = splitTrainValidation(items.slice(0, 500), { validationFraction: 0.1, seed: 5 });
    expect(keys(half.validation)).toEqual(keys(a.validation).filter((k) => index.get(k)! < 500));
    for (const item of items) expect(isHeldOut(item.key, { validationFraction: 0.1, seed: 5 })).toBe(a.validation.includes(item));
  });

  it('holds out at least one and leaves at least one; refuses a bad fraction', () => {
    expect(splitTrainValidation([{ key: 1 }, { key: 2 }], { validationFraction: 0.01, seed: 0 }).validation).toHaveLength(1);
    expect(splitTrainValidation([{ key: 1 }, { key: 2 }, { key: 3 }], { validationFraction: 0.99, seed: 0 }).train).toHaveLength(1);
    expect(splitTrainValidation(items, { validationFraction: 0, seed: 0 })).toEqual({ train: items, validation: [] });
    expect(() => splitTrainValidation(items, { validationFraction: 1, seed: 0 })).toThrow(/at least 0 and below 1, got 1/);
    expect(() => splitTrainValidation(items, { validationFraction: NaN, seed: 0 })).toThrow(/got NaN/);
    expect(() => splitTrainValidation([{ key: 1 }], { validationFraction: 0.5, seed: 0 })).toThrow(/at least 2 examples/);
  });
});

describe('TrainBatchIterator', () => {
  const options = { microBatchSize: 3, seqLen: 12, packing: true, seed: 9 };

  it('covers every example once per epoch, in a different seeded order each epoch', () => {
    const it1 = new TrainBatchIterator(examples, options);
    const epochs: number[][] = [[], [], []];
    for (let n = 0; n < 200; n++) {
      const next = it1.next();
      if (next.epoch > 2) break;
      epochs[next.epoch].push(...firstExamples(next.batch));
      expect(next.batch.tokens.length).toBeLessThanOrEqual(36);
    }
    for (const seen of epochs) expect([...seen].sort((a, b) => a - b)).toEqual([...examples.keys()]);
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect(epochs[1]).not.toEqual(epochs[2]);
    // Same seed, same stream; another seed, another order.
    const again = new TrainBatchIterator(examples, options);
    const againFirstEpoch: number[] = [];
    for (let n = 0; n < again.epochBatches; n++) againFirstEpoch.push(...firstExamples(again.next().batch));
    expect(againFirstEpoch).toEqual(epochs[0]);
    expect(firstExamples(new TrainBatchIterator(examples, { ...options, seed: 10 }).next().batch)).not.toEqual(
      firstExamples(new TrainBatchIterator(examples, options).next().batch),
    );
  });

  it('resumes from a JSON-stored position with exactly the same batches, across epoch boundaries', () => {
    for (const packing of [true, false]) {
      const opts = { ...options, packing };
      const straight = new TrainBatchIterator(examples, opts);
      const reference = Array.from({ length: 40 }, () => straight.next());
      for (const stop of [0, 1, 7, reference.findIndex((b) => b.epoch === 1), 25]) {
        const first = new TrainBatchIterator(examples, opts);
        for (let n = 0; n < stop; n++) first.next();
        const saved = JSON.parse(JSON.stringify(first.position())) as DataPosition;
        const resumed = new TrainBatchIterator(examples, opts, saved);
        for (let n = stop; n < 40; n++) {
          const next = resumed.next();
          expect([next.epoch, next.index]).toEqual([reference[n].epoch, reference[n].index]);
          expect(next.batch).toEqual(reference[n].batch);
        }
      }
    }
  });

  it('position at the end of an epoch rolls into the next epoch on resume', () => {
    const a = new TrainBatchIterator(examples, options);
    const perEpoch = a.epochBatches;
    for (let n = 0; n < perEpoch; n++) a.next();
    const position = a.position();
    expect([position.epoch, position.index]).toEqual([0, perEpoch]);
    const expected = a.next();
    const b = new TrainBatchIterator(examples, options, position);
    expect(b.next()).toEqual(expected);
    expect(expected.epoch).toBe(1);
  });

  it('refuses a position from another dataset or with other batch settings', () => {
    const a = new TrainBatchIterator(examples, options);
    for (let n = 0; n < 5; n++) a.next();
    const position = a.position();
    expect(() => new TrainBatchIterator(examples.slice(1), options, position)).toThrow(DataPositionError);
    expect(() => new TrainBatchIterator(examples.slice(1), options, position)).toThrow(/belongs to another training set \(23 examples/);
    const changed = [...examples];
    changed[3] = example(99, changed[3].ids.length);
    expect(() => new TrainBatchIterator(changed, options, position)).toThrow(/another training set/);
    const late = { ...position, index: 500 };
    expect(() => new TrainBatchIterator(examples, options, late)).toThrow(/batch 500 of epoch 0, which has only \d+ batches/);
    expect(() => new TrainBatchIterator(examples, options, { ...position, rngState: [1, 2] } as unknown as DataPosition)).toThrow(
      /not valid/,
    );
  });
});
