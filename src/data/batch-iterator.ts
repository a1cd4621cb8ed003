/**
 * Training batches, epoch after epoch, each epoch in a fresh seeded order. Where it stands is a small plain
 * object (`DataPosition`) that a checkpoint stores as JSON; an iterator built from the same examples and options
 * at that position yields exactly the batches the first one would have yielded next.
 *
 * One RNG stream runs through the whole run: epoch e's order is the shuffle drawn from the state the stream had
 * when epoch e began, so the position only needs that state, the epoch number and how many batches of the epoch
 * have been taken.
 */
import type { TokenBatch } from './batch-types';
import { assembleBatch, type BatchShape, planBatches } from './batches';
import { DataRng, isRngState, type RngState } from './rng';
import type { TokenizedExample } from './tokenize';

export interface DataPosition {
  /** 0-based epoch of the next batch. */
  epoch: number;
  /** Batches of that epoch already taken. */
  index: number;
  /** The shuffle RNG's state when the epoch began. */
  rngState: RngState;
  /** Fingerprint of the training examples, so a position is never applied to another dataset. */
  dataset: { examples: number; hash: string };
}

export interface BatchIteratorOptions extends BatchShape {
  seed: number;
  /** Shuffle each epoch (default true); false keeps file order, e.g. for a debugging run. */
  shuffle?: boolean;
}

export interface NextBatch {
  batch: TokenBatch;
  epoch: number;
  /** 0-based index of this batch within its epoch. */
  index: number;
  /** Batches in this epoch (with packing it can differ a little from epoch to epoch). */
  epochBatches: number;
}

export class DataPositionError extends Error {
  override name = 'DataPositionError';
}

export class TrainBatchIterator {
  private readonly fingerprint: { examples: number; hash: string };
  private epoch = 0;
  private index = 0;
  private epochStart: RngState;
  private batches: number[][] = [];
  private readonly rng: DataRng;

  constructor(
    private readonly examples: readonly TokenizedExample[],
    private readonly options: BatchIteratorOptions,
    position?: DataPosition,
  ) {
    if (examples.length === 0) throw new RangeError('no training examples to make batches from');
    this.fingerprint = { examples: examples.length, hash: datasetHash(examples) };
    if (position) {
      this.checkPosition(position);
      this.rng = new DataRng(position.rngState);
      this.epoch = position.epoch;
    } else {
      this.rng = DataRng.fromSeed(options.seed);
    }
    this.epochStart = this.rng.state();
    this.beginEpoch();
    if (position) {
      if (position.index > this.batches.length) {
        throw new DataPositionError(
          `the saved data position is batch ${position.index} of epoch ${position.epoch}, which has only ` +
            `${this.batches.length} batches with these settings (micro-batch size, sequence length or packing changed?)`,
        );
      }
      this.index = position.index;
    }
  }

  /** Where the next batch comes from; store it with a checkpoint. */
  position(): DataPosition {
    return { epoch: this.epoch, index: this.index, rngState: [...this.epochStart], dataset: { ...this.fingerprint } };
  }

  /** Batches in the current epoch. */
  get epochBatches(): number {
    return this.batches.length;
  }

  next(): NextBatch {
    if (this.index >= this.batches.length) {
      this.epoch++;
      this.index = 0;
      this.epochStart = this.rng.state();
      this.beginEpoch();
    }
    const index = this.index++;
    return {
      batch: assembleBatch(this.examples, this.batches[index], this.options.virtualTokens),
      epoch: this.epoch,
      index,
      epochBatches: this.batches.length,
    };
  }

  /** Draws this epoch's order from the stream (advancing it) and groups it into batches. */
  private beginEpoch(): void {
    const order = [...this.examples.keys()];
    if (this.options.shuffle !== false) this.rng.shuffle(order);
    this.batches = planBatches(this.examples, order, this.options);
  }

  private checkPosition(position: DataPosition): void {
    const ok =
      position !== null &&
      typeof position === 'object' &&
      Number.isInteger(position.epoch) &&
      position.epoch >= 0 &&
      Number.isInteger(position.index) &&
      position.index >= 0 &&
      isRngState(position.rngState);
    if (!ok) throw new DataPositionError(`the saved data position is not valid: ${JSON.stringify(position)}`);
    const saved = position.dataset;
    if (!saved || saved.examples !== this.fingerprint.examples || saved.hash !== this.fingerprint.hash) {
      throw new DataPositionError(
        `the saved data position belongs to another training set (${saved?.examples} examples, hash ${saved?.hash}; ` +
          `this one has ${this.fingerprint.examples} examples, hash ${this.fingerprint.hash}): the dataset, ` +
          'tokenizer, sequence length or validation split changed since the checkpoint',
      );
    }
  }
}

/** FNV-1a (32-bit) over every example's ids and trained flags: cheap, and any change in the data changes it. */
export function datasetHash(examples: readonly TokenizedExample[]): string {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h = Math.imul(h ^ (x & 0xff), 0x01000193);
    h = Math.imul(h ^ ((x >>> 8) & 0xff), 0x01000193);
    h = Math.imul(h ^ ((x >>> 16) & 0xff), 0x01000193);
    h = Math.imul(h ^ (x >>> 24), 0x01000193);
  };
  for (const { ids, trained } of examples) {
    mix(ids.length);
    for (let i = 0; i < ids.length; i++) mix(ids[i] * 2 + trained[i]);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
