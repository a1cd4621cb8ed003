/**
 * The engine worker's handlers of the comparison requests (CompareRequests in compare-protocol.ts): side-by-side
 * generations and evaluations of the loaded base and library adapters. Each request holds the worker's GPU lock
 * (services.exclusive) from its first column to its last, so a Playground generation or a model load waits rather
 * than interleaves.
 */
import { DatasetError, parseDatasetBlob } from '../data';
import { CompareSetupError, fitColumnAdapters } from './compare-adapters';
import { evaluateColumns, validationBatches } from './compare-eval';
import { compressionTable } from '../export/compression';
import { generateColumns } from './compare-generate';
import { openDatasetSource } from './dataset-source';
import type { CompareGenerated, CompareProblem, CompareRequests, CompressionSummary, EvalSummary } from './compare-protocol';
import type { RequestHandlers, WorkerServices } from './domains';
import { EngineError, failingWith } from './engine-error';
import type { ModelSession } from './model-session';
import { problemOf } from './problems';
import type { RequestMessage } from './protocol';

function compareProblemOf(error: unknown): CompareProblem {
  if (error instanceof CompareSetupError) return error.problem;
  if (error instanceof DatasetError) return { kind: 'dataset', message: error.message };
  return problemOf(error);
}

/** Runs `work` under the GPU lock; what it throws becomes a failure carrying a CompareProblem. */
function withLock<T>(services: WorkerServices, work: () => Promise<T>): Promise<T> {
  return services.exclusive(() => failingWith((error) => ({ domain: 'compare', ...compareProblemOf(error) }), work));
}

/** The loaded model; without one, the request is refused. */
function sessionOrRefuse(services: WorkerServices): ModelSession {
  const session = services.session();
  if (!session) throw new EngineError({ domain: 'compare', kind: 'no-model', message: 'Load a base model in the Playground first.' });
  return session;
}

function compareGenerate(request: RequestMessage<'compare-generate'>, signal: AbortSignal, services: WorkerServices): Promise<CompareGenerated> {
  return withLock(services, async () => {
    const session = sessionOrRefuse(services);
    const ctx = await services.getEngine();
    const adapters = await fitColumnAdapters(request.columns, session);
    return generateColumns(ctx, session, adapters, request, signal, services.post);
  });
}

function compareEvaluate(request: RequestMessage<'compare-evaluate'>, signal: AbortSignal, services: WorkerServices): Promise<EvalSummary | null> {
  return withLock(services, async () => {
    const session = sessionOrRefuse(services);
    const ctx = await services.getEngine();
    const adapters = await fitColumnAdapters(request.columns, session);
    const { blob, name } = await openDatasetSource(request.source);
    const { format } = request.settings;
    const parsed = await parseDatasetBlob(blob, { file: name, format, mapping: request.mapping, onBadRow: 'skip' });
    const summary = await evaluateColumns(ctx, session, adapters, parsed, name, request.settings, signal, (progress) =>
      services.post({ kind: 'compare-eval-progress', requestId: request.id, ...progress }),
    );
    return summary;
  });
}

/** The compression table of one column: each GGUF type of the base, and merged with the column's adapter. */
function compareCompress(request: RequestMessage<'compare-compress'>, signal: AbortSignal, services: WorkerServices): Promise<CompressionSummary | null> {
  return withLock(services, async () => {
    const session = sessionOrRefuse(services);
    const ctx = await services.getEngine();
    const [adapter] = await fitColumnAdapters([request.column], session);
    const { blob, name } = await openDatasetSource(request.source);
    const parsed = await parseDatasetBlob(blob, { file: name, format: request.settings.format, mapping: request.mapping, onBadRow: 'skip' });
    const { validation, batches, maxTokens } = validationBatches(session, parsed, name, request.settings);
    const rows = await compressionTable({
      ctx,
      base: { ...session.files, name: session.summary.name },
      adapter,
      batches,
      maxTokens,
      signal,
      onRow: (done, total) => services.post({ kind: 'compare-compress-progress', requestId: request.id, rows: [...done], total }),
    });
    return rows && { dataset: name, examples: validation, label: request.column.label, rows };
  });
}

export function compareHandlers(services: WorkerServices): RequestHandlers<keyof CompareRequests> {
  return {
    'compare-generate': (request, { signal }) => compareGenerate(request, signal, services),
    'compare-evaluate': (request, { signal }) => compareEvaluate(request, signal, services),
    'compare-compress': (request, { signal }) => compareCompress(request, signal, services),
  };
}
