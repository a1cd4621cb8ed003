/**
 * A StreamedDataset that runs in a data worker: the same surface (DataStream), so the training loop cannot tell
 * them apart, while reading and tokenizing happen off the thread that drives the GPU. The worker reads ahead;
 * this side keeps the state that came with the last batch it handed out, so `position()` stays synchronous and
 * names exactly the batches the loop has trained on. Errors come back as the classes they were thrown as.
 */
import type { TokenizerSpec } from '../../../model/tokenizer/spec';
import type { TokenBatch } from '../../batch-types';
import type { TokenizedExample } from '../../tokenize';
import type { DataStream } from '../data-stream';
import type { DataProgress, StreamedDataset, StreamPosition, StreamSettings } from '../streamed-dataset';
import {
  type DataSource,
  errorFromPortable,
  type FromDataWorker,
  type PortableStreamSettings,
  type StreamState,
  type ToDataWorker,
} from './protocol';

/** Batches the worker reads ahead unless told otherwise: enough to cover a slow window, few enough to be small. */
export const DEFAULT_READ_AHEAD = 8;

/** The training thread's end of the channel to one data worker (a Web Worker, or a worker_threads Worker). */
export interface DataWorkerPort {
  post(message: ToDataWorker, transfer?: Transferable[]): void;
  onMessage(handler: (message: FromDataWorker) => void): void;
  /** The worker could not start, crashed or exited. */
  onFailure(handler: (error: Error) => void): void;
  terminate(): void;
}

type Reply = Exclude<FromDataWorker, { type: 'progress' | 'failed' }>;

export interface RemoteOpenOptions {
  /** Continue from this position (as StreamedDataset.open's `position`). */
  position?: unknown;
  /** Batches the worker may read ahead (default DEFAULT_READ_AHEAD). */
  ahead?: number;
}

export class RemoteStreamedDataset implements DataStream {
  validation: TokenizedExample[] = [];
  firstWindow: StreamedDataset['firstWindow'] = { rows: 0, badRowCount: 0, badRows: [], dropped: [], truncatedCount: 0, train: 0, fits: false };

  private state: StreamState | null = null;
  private readonly pending: { resolve: (reply: Reply) => void; reject: (error: Error) => void }[] = [];
  /** Why the stream can no longer answer (closed, or its worker died). */
  private broken: Error | null = null;

  private constructor(
    private readonly port: DataWorkerPort,
    private readonly onProgress: ((progress: DataProgress) => void) | undefined,
  ) {
    port.onMessage((message) => this.receive(message));
    port.onFailure((error) => this.fail(error));
  }

  /**
   * Starts the stream in the worker behind `port`, which it owns from now on (closing the stream terminates it).
   * `tokenizer` must describe `settings.tokenize.tokenizer`: the worker builds its own from it.
   */
  static async open(
    port: DataWorkerPort,
    source: DataSource,
    settings: StreamSettings,
    tokenizer: TokenizerSpec,
    options: RemoteOpenOptions = {},
  ): Promise<RemoteStreamedDataset> {
    const stream = new RemoteStreamedDataset(port, settings.onProgress);
    try {
      const { template } = settings.tokenize;
      const reply = await stream.request({
        type: 'open',
        source,
        settings: portableSettings(settings),
        tokenizer,
        template: { source: template.source, kind: template.kind, specials: template.specials },
        position: options.position,
        ahead: options.ahead ?? DEFAULT_READ_AHEAD,
      });
      if (reply.type !== 'opened') throw new Error(`the data worker answered 'open' with '${reply.type}'`);
      stream.validation = reply.validation;
      stream.firstWindow = reply.firstWindow;
      stream.state = reply.state;
      return stream;
    } catch (error) {
      stream.close();
      throw error;
    }
  }

  get batchesPerEpoch(): number {
    return this.state!.batchesPerEpoch;
  }

  get epochEstimated(): boolean {
    return this.state!.epochEstimated;
  }

  async next(): Promise<TokenBatch> {
    const reply = await this.request({ type: 'next' });
    if (reply.type !== 'batch') throw new Error(`the data worker answered 'next' with '${reply.type}'`);
    this.state = reply.state;
    return reply.batch;
  }

  position(): StreamPosition {
    return structuredClone(this.state!.position);
  }

  async restore(position: unknown): Promise<void> {
    const reply = await this.request({ type: 'restore', position });
    if (reply.type !== 'restored') throw new Error(`the data worker answered 'restore' with '${reply.type}'`);
    this.state = reply.state;
  }

  report(): void {
    if (!this.broken) this.port.post({ type: 'report' });
  }

  close(): void {
    if (this.broken) return;
    this.fail(new Error('the data stream was closed'));
    this.port.terminate();
  }

  private request(message: ToDataWorker): Promise<Reply> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<Reply>((resolve, reject) => {
      try {
        this.port.post(message);
        this.pending.push({ resolve, reject });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private receive(message: FromDataWorker): void {
    if (message.type === 'progress') {
      this.onProgress?.(message.progress);
      return;
    }
    const waiter = this.pending.shift();
    if (!waiter) return; // an answer to a request already given up (the stream was closed)
    if (message.type === 'failed') waiter.reject(errorFromPortable(message.error));
    else waiter.resolve(message);
  }

  private fail(error: Error): void {
    this.broken ??= error;
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }
}

/** The settings the worker needs: callbacks stay here, the tokenizer and template go as specs. */
function portableSettings(settings: StreamSettings): PortableStreamSettings {
  const { tokenize, onProgress: _progress, now: _now, ...rest } = settings;
  const { tokenizer: _tokenizer, template: _template, ...portableTokenize } = tokenize;
  return { ...rest, tokenize: portableTokenize };
}
