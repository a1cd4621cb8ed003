/** The data pipeline's TrainBatchIterator as the loop's BatchStream (restoring = rebuilding at a position). */
import type { TokenBatch } from '../data/batch-types';
import { TrainBatchIterator, type BatchIteratorOptions, type DataPosition } from '../data/batch-iterator';
import type { TokenizedExample } from '../data/tokenize';
import type { BatchStream } from './trainable';

export class ExampleBatchStream implements BatchStream {
  private iterator: TrainBatchIterator;

  constructor(
    private readonly examples: readonly TokenizedExample[],
    private readonly options: BatchIteratorOptions,
  ) {
    this.iterator = new TrainBatchIterator(examples, options);
  }

  next(): TokenBatch {
    return this.iterator.next().batch;
  }

  /** The current epoch's batch count (with packing it may differ slightly between epochs). */
  get batchesPerEpoch(): number {
    return this.iterator.epochBatches;
  }

  position(): DataPosition {
    return this.iterator.position();
  }

  restore(position: unknown): void {
    this.iterator = new TrainBatchIterator(this.examples, this.options, position as DataPosition);
  }
}
