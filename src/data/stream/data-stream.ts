/**
 * What a training run reads its data through: a StreamedDataset on the training thread, or the same stream run in
 * a data worker (remote/), which the run cannot tell apart. The session opens one with a DataOpener.
 */
import type { TokenizerSpec } from '../../model/tokenizer/spec';
import type { TokenBatch } from '../batch-types';
import type { TokenizedExample } from '../tokenize';
import { type StreamSettings, StreamedDataset } from './streamed-dataset';

export interface DataStream {
  /** Held-out examples of the first window, in file order. */
  readonly validation: TokenizedExample[];
  /** Figures of the first window: all of them for a file that fits. */
  readonly firstWindow: StreamedDataset['firstWindow'];
  /** Batches in an epoch: exact once a pass has ended (or the file fits), else an estimate. */
  readonly batchesPerEpoch: number;
  readonly epochEstimated: boolean;
  next(): Promise<TokenBatch>;
  /** Where the stream stands after the batches handed out so far (JSON, for a checkpoint). Synchronous. */
  position(): unknown;
  restore(position: unknown): Promise<void>;
  /** Reports progress through `settings.onProgress` now. */
  report(): void;
  close(): void;
}

/**
 * Opens a run's data: `settings` carry the tokenizer and template objects; `tokenizer` describes the same tokenizer
 * as plain data, for an opener that builds it again on another thread.
 */
export type DataOpener = (blob: Blob, settings: StreamSettings, tokenizer: TokenizerSpec) => Promise<DataStream>;

/** The stream on the calling thread (the default). */
export const openInThread: DataOpener = (blob, settings) => StreamedDataset.open(blob, settings);
