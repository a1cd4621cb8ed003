/**
 * The data worker's side: builds the tokenizer and template from their specs, opens the StreamedDataset, and
 * answers the client's requests in order. It reads ahead of the consumer (ReadAhead), so a batch is usually
 * ready when asked for, and the tokenizing happens here, off the thread that drives the GPU.
 */
import { ChatTemplate } from '../../../model/chat';
import { tokenizerFromSpec } from '../../../model/tokenizer/spec';
import type { TokenBatch } from '../../batch-types';
import { StreamedDataset } from '../streamed-dataset';
import { batchBuffers, type DataSource, type FromDataWorker, portableError, type StreamState, type ToDataWorker } from './protocol';

/** The worker's end of its channel (worker_threads' parentPort, or a Web Worker's global scope). */
export interface DataWorkerEnd {
  post(message: FromDataWorker, transfer: Transferable[]): void;
  onMessage(handler: (message: ToDataWorker) => void): void;
  close(): void;
}

/** Where a `path` source is opened (Node); a worker without it takes Blobs only. */
export type OpenPath = (path: string, file: string) => Promise<Blob>;

export function serveDataStream(end: DataWorkerEnd, openPath?: OpenPath): void {
  let stream: StreamedDataset | null = null;
  let ahead: ReadAhead | null = null;
  let closed = false;
  // Requests run one at a time, in the order they came.
  let queue = Promise.resolve();

  const handle = async (message: ToDataWorker): Promise<void> => {
    if (message.type === 'open') {
      const { settings, tokenizer: spec, template: t } = message;
      const tokenizer = tokenizerFromSpec(spec);
      const template = new ChatTemplate(t.source, t.kind, t.specials);
      const blob = await blobOf(message.source, settings.file, openPath);
      stream = await StreamedDataset.open(
        blob,
        { ...settings, tokenize: { ...settings.tokenize, tokenizer, template }, onProgress: (progress) => post({ type: 'progress', progress }) },
        message.position,
      );
      const { validation, firstWindow } = stream;
      post({ type: 'opened', state: stateOf(stream), validation, firstWindow });
      ahead = new ReadAhead(stream, message.ahead);
    } else if (message.type === 'next') {
      const item = await ahead!.take();
      if ('error' in item) throw item.error;
      post({ type: 'batch', batch: item.batch, state: item.state }, batchBuffers(item.batch));
    } else if (message.type === 'restore') {
      // Batches read ahead from the old position are dropped; the stream reads on from the restored one.
      const { depth } = ahead!;
      await ahead!.halt();
      try {
        await stream!.restore(message.position);
        post({ type: 'restored', state: stateOf(stream!) });
      } finally {
        // Read on even after a refused restore, as the stream in the thread would: a later `next` must not hang.
        ahead = new ReadAhead(stream!, depth);
      }
    }
  };

  const post = (message: FromDataWorker, transfer: Transferable[] = []) => {
    if (!closed) end.post(message, transfer);
  };

  end.onMessage((message) => {
    if (message.type === 'report') {
      stream?.report();
    } else if (message.type === 'close') {
      closed = true;
      void ahead?.halt();
      stream?.close();
      end.close();
    } else {
      queue = queue.then(() => handle(message)).catch((error: unknown) => post({ type: 'failed', error: portableError(error) }));
    }
  });
}

async function blobOf(source: DataSource, file: string, openPath: OpenPath | undefined): Promise<Blob> {
  if (source.kind === 'blob') return source.blob;
  if (!openPath) throw new Error(`this data worker cannot open files by path (${source.path})`);
  return openPath(source.path, file);
}

function stateOf(stream: StreamedDataset): StreamState {
  return { position: stream.position(), batchesPerEpoch: stream.batchesPerEpoch, epochEstimated: stream.epochEstimated };
}

type ReadItem = { batch: TokenBatch; state: StreamState } | { error: unknown };

/**
 * Reads up to `depth` batches ahead of the consumer, one `next()` at a time (a StreamedDataset takes one call at
 * a time). Each batch keeps the stream's state right after it, which is what the consumer's position is once it
 * has that batch. A failure is handed out in its batch's place, and nothing is read after it.
 */
class ReadAhead {
  private readonly ready: ReadItem[] = [];
  private waiting: ((item: ReadItem) => void) | null = null;
  private reading: Promise<void> | null = null;
  private halted = false;
  private failed = false;

  constructor(
    private readonly stream: StreamedDataset,
    readonly depth: number,
  ) {
    this.fill();
  }

  take(): Promise<ReadItem> {
    // A failure stays at the head: asked again, the stream fails again rather than waiting for ever.
    const item = this.ready[0] && 'error' in this.ready[0] ? this.ready[0] : this.ready.shift();
    const taken = item ? Promise.resolve(item) : new Promise<ReadItem>((resolve) => (this.waiting = resolve));
    this.fill();
    return taken;
  }

  /** Stops reading; resolves once the read in progress (if any) has settled, so the stream is free. */
  async halt(): Promise<void> {
    this.halted = true;
    await this.reading;
  }

  private fill(): void {
    if (this.reading || this.halted || this.failed || this.ready.length >= this.depth) return;
    this.reading = this.read().finally(() => {
      this.reading = null;
      this.fill();
    });
  }

  private async read(): Promise<void> {
    while (!this.halted && !this.failed && this.ready.length < this.depth) {
      let item: ReadItem;
      try {
        const batch = await this.stream.next();
        item = { batch, state: stateOf(this.stream) };
      } catch (error) {
        item = { error };
        this.failed = true;
      }
      if (this.halted) return;
      if (this.waiting) {
        const deliver = this.waiting;
        this.waiting = null;
        deliver(item);
      } else {
        this.ready.push(item);
      }
    }
  }
}
