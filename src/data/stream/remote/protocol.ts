/**
 * The messages between a RemoteStreamedDataset (the training thread) and its data worker. Requests are answered
 * one by one, in order: `open` by `opened`, `next` by `batch` (its typed arrays transferred), `restore` by
 * `restored`, any of them by `failed`; `report` and `close` get no answer. `progress` comes whenever the
 * pipeline reports. Every answer carries the stream's state after it, so the client's `position()` stays
 * synchronous and names the batches it has handed out, not those the worker has read ahead.
 */
import type { ChatTemplateKind, ChatTemplateSpecials } from '../../../model/chat';
import type { TokenizerSpec } from '../../../model/tokenizer/spec';
import { DataPositionError } from '../../batch-iterator';
import type { TokenBatch } from '../../batch-types';
import type { TokenizedExample } from '../../tokenize';
import { type BadRow, DatasetError } from '../../types';
import type { DataProgress, StreamedDataset, StreamPosition, StreamSettings } from '../streamed-dataset';

/** StreamSettings without what cannot be posted: the tokenizer and template travel as specs, callbacks stay home. */
export interface PortableStreamSettings extends Omit<StreamSettings, 'tokenize' | 'onProgress' | 'now'> {
  tokenize: Omit<StreamSettings['tokenize'], 'tokenizer' | 'template'>;
}

/** A ChatTemplate as the arguments of its constructor. */
export interface ChatTemplateSpec {
  source: string;
  kind: ChatTemplateKind;
  specials: ChatTemplateSpecials;
}

/** The file: a Blob where it can be posted (a browser File, a Blob in memory), else a path the worker opens. */
export type DataSource = { kind: 'blob'; blob: Blob } | { kind: 'path'; path: string };

export interface StreamState {
  position: StreamPosition;
  batchesPerEpoch: number;
  epochEstimated: boolean;
}

export type ToDataWorker =
  | {
      type: 'open';
      source: DataSource;
      settings: PortableStreamSettings;
      tokenizer: TokenizerSpec;
      template: ChatTemplateSpec;
      position?: unknown;
      /** Batches the worker may read ahead of the consumer. */
      ahead: number;
    }
  | { type: 'next' }
  | { type: 'restore'; position: unknown }
  | { type: 'report' }
  | { type: 'close' };

export type FromDataWorker =
  | { type: 'opened'; state: StreamState; validation: TokenizedExample[]; firstWindow: StreamedDataset['firstWindow'] }
  | { type: 'batch'; batch: TokenBatch; state: StreamState }
  | { type: 'restored'; state: StreamState }
  | { type: 'failed'; error: PortableError }
  | { type: 'progress'; progress: DataProgress };

/** An error as data: the classes the pipeline throws keep their fields, so they are rebuilt with the same message. */
export type PortableError =
  | { name: 'DatasetError'; file: string; problem: string; badRows: readonly BadRow[]; stack?: string }
  | { name: string; message: string; stack?: string };

export function portableError(error: unknown): PortableError {
  if (error instanceof DatasetError) {
    return { name: 'DatasetError', file: error.file, problem: error.problem, badRows: error.badRows, stack: error.stack };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** The error again, as the class it was thrown as (DatasetError, DataPositionError, RangeError, TypeError), else an Error of the same name. */
export function errorFromPortable(portable: PortableError): Error {
  let error: Error;
  if ('problem' in portable) error = new DatasetError(portable.file, portable.problem, portable.badRows);
  else if (portable.name === 'DataPositionError') error = new DataPositionError(portable.message);
  else if (portable.name === 'RangeError') error = new RangeError(portable.message);
  else if (portable.name === 'TypeError') error = new TypeError(portable.message);
  else {
    error = new Error(portable.message);
    error.name = portable.name;
  }
  // Where it was thrown is the worker's stack; where it was rethrown adds nothing.
  if (portable.stack) error.stack = `${portable.stack}\n    (in the data worker)`;
  return error;
}

/** The buffers of a batch's typed arrays, to transfer rather than copy. */
export function batchBuffers(batch: TokenBatch): ArrayBuffer[] {
  const buffers = [batch.tokens, batch.targets, batch.positions, batch.seqStart].map((a) => a.buffer as ArrayBuffer);
  return [...new Set(buffers)];
}
