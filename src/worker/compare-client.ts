/**
 * The main thread's handle on the 'compare-' domain, built on EngineClient.request/subscribe: promise-returning
 * calls whose streamed events (matched by request id) reach the given callbacks. Aborting `signal` asks the worker
 * to stop; the promise then settles with what was done.
 */
import type { EngineClient } from './client';
import type {
  ColumnOutcome,
  CompareColumn,
  CompareDatasetSource,
  CompareEvalSettings,
  CompareProblem,
  EvalColumnResult,
  EvalSummary,
} from './compare-protocol';
import type { FromEngine, GenerateSettings, GenerationProgress } from './protocol';

/** The worker refused the whole comparison: no model, an adapter for another base, a dataset it cannot use. */
export class CompareFailedError extends Error {
  constructor(readonly problem: CompareProblem) {
    super(problem.message);
    this.name = 'CompareFailedError';
  }
}

export interface GenerateHandlers {
  onToken(column: number, progress: GenerationProgress): void;
  onColumnDone(column: number, result: ColumnOutcome): void;
}

export interface EvalProgressUpdate {
  column: number;
  batchesDone: number;
  batches: number;
  results: EvalColumnResult[];
}

type Settled<T> = { ok: true; value: T } | { ok: false; problem: CompareProblem };

async function run<T>(
  client: EngineClient,
  id: number,
  send: (pick: (reply: FromEngine) => Settled<T> | undefined) => Promise<Settled<T>>,
  onEvent: (message: FromEngine) => void,
  signal?: AbortSignal,
): Promise<T> {
  const unsubscribe = client.subscribe(onEvent);
  const cancel = () => client.send({ kind: 'compare-cancel', target: id });
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    if (signal?.aborted) cancel();
    const settled = await send((reply) => (reply.kind === 'compare-failed' ? { ok: false, problem: reply.problem } : undefined));
    if (!settled.ok) throw new CompareFailedError(settled.problem);
    return settled.value;
  } finally {
    signal?.removeEventListener('abort', cancel);
    unsubscribe();
  }
}

/** Generates in every column, one after another; resolves with each column's outcome. */
export function compareGenerate(
  client: EngineClient,
  settings: GenerateSettings,
  columns: CompareColumn[],
  handlers: GenerateHandlers,
  signal?: AbortSignal,
): Promise<{ columns: ColumnOutcome[]; stopped: boolean }> {
  const id = client.newId();
  return run(
    client,
    id,
    (failed) =>
      client.request({ kind: 'compare-generate', id, settings, columns }, (reply) =>
        reply.kind === 'compare-generated'
          ? { ok: true, value: { columns: reply.columns, stopped: reply.stopped } }
          : failed(reply),
      ),
    (message) => {
      if (message.kind === 'compare-token' && message.requestId === id) handlers.onToken(message.column, message.progress);
      if (message.kind === 'compare-column-done' && message.requestId === id) handlers.onColumnDone(message.column, message.result);
    },
    signal,
  );
}

/** Measures every column on the dataset's validation split; resolves with null when cancelled. */
export function compareEvaluate(
  client: EngineClient,
  source: CompareDatasetSource,
  settings: CompareEvalSettings,
  columns: CompareColumn[],
  onProgress: (progress: EvalProgressUpdate) => void,
  signal?: AbortSignal,
): Promise<EvalSummary | null> {
  const id = client.newId();
  return run(
    client,
    id,
    (failed) =>
      client.request({ kind: 'compare-evaluate', id, source, settings, columns }, (reply) =>
        reply.kind === 'compare-evaluated' ? { ok: true, value: reply.summary } : failed(reply),
      ),
    (message) => {
      if (message.kind === 'compare-eval-progress' && message.requestId === id) {
        onProgress({ column: message.column, batchesDone: message.batchesDone, batches: message.batches, results: message.results });
      }
    },
    signal,
  );
}
