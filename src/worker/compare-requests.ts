/**
 * The engine worker's handler for 'compare-' messages (see domains.ts): side-by-side generations and evaluations
 * of the loaded base and library adapters. Each request holds the worker's GPU lock (services.exclusive) from its
 * first column to its last, so a Playground generation or a model load waits rather than interleaves.
 */
import { DatasetError, parseDatasetFile, SAMPLE_DATASET } from '../data';
import { CompareSetupError, fitColumnAdapters } from './compare-adapters';
import { evaluateColumns } from './compare-eval';
import { generateColumns } from './compare-generate';
import type { CompareEvaluateRequest, CompareGenerateRequest, CompareProblem } from './compare-protocol';
import type { DomainHandler, WorkerServices } from './domains';
import type { ModelSession } from './model-session';
import { problemOf } from './problems';

/** Requests asked and not yet answered, so a cancel reaches them even while they wait for the lock. */
const controllers = new Map<number, AbortController>();

function compareProblemOf(error: unknown): CompareProblem {
  if (error instanceof CompareSetupError) return error.problem;
  if (error instanceof DatasetError) return { kind: 'dataset', message: error.message };
  return problemOf(error);
}

async function withLock(id: number, services: WorkerServices, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = controllers.get(id) ?? new AbortController();
  controllers.set(id, controller);
  try {
    await services.exclusive(async () => {
      try {
        await work(controller.signal);
      } catch (error) {
        services.post({ kind: 'compare-failed', id, problem: compareProblemOf(error) });
      }
    });
  } finally {
    controllers.delete(id);
  }
}

/** The loaded model, or null after telling the studio there is none. */
function sessionOrRefuse(services: WorkerServices, id: number): ModelSession | null {
  const session = services.session();
  if (!session) services.post({ kind: 'compare-failed', id, problem: { kind: 'no-model', message: 'Load a base model in the Playground first.' } });
  return session;
}

async function compareGenerate(request: CompareGenerateRequest, services: WorkerServices): Promise<void> {
  await withLock(request.id, services, async (signal) => {
    const session = sessionOrRefuse(services, request.id);
    if (!session) return;
    const ctx = await services.getEngine();
    const adapters = await fitColumnAdapters(request.columns, session);
    const { columns, stopped } = await generateColumns(ctx, session, adapters, request, signal, services.post);
    services.post({ kind: 'compare-generated', id: request.id, columns, stopped });
  });
}

async function readDataset(request: CompareEvaluateRequest): Promise<{ blob: Blob; name: string }> {
  if (request.source.kind === 'file') return { blob: request.source.file, name: request.source.file.name };
  const name = SAMPLE_DATASET.url.split('/').at(-1)!;
  const url = new URL(`${import.meta.env.BASE_URL}${SAMPLE_DATASET.url}`, self.location.href);
  const response = await fetch(url).catch((error: unknown) => {
    throw new DatasetError(name, `the sample could not be fetched (${String(error)})`);
  });
  if (!response.ok) throw new DatasetError(name, `the sample could not be fetched: the server answered ${response.status}`);
  return { blob: await response.blob(), name };
}

async function compareEvaluate(request: CompareEvaluateRequest, services: WorkerServices): Promise<void> {
  await withLock(request.id, services, async (signal) => {
    const session = sessionOrRefuse(services, request.id);
    if (!session) return;
    const ctx = await services.getEngine();
    const adapters = await fitColumnAdapters(request.columns, session);
    const { blob, name } = await readDataset(request);
    const parsed = await parseDatasetFile(blob, { file: name, format: request.settings.format, onBadRow: 'skip' });
    // prepareDataset only copies `container` into its result, which is not used here; its type predates CSV and
    // Parquet, so those count as rows of records.
    const container = parsed.container === 'json' || parsed.container === 'txt' ? parsed.container : 'jsonl';
    const summary = await evaluateColumns(ctx, session, adapters, { ...parsed, container }, name, request.settings, signal, (progress) =>
      services.post({ kind: 'compare-eval-progress', requestId: request.id, ...progress }),
    );
    services.post({ kind: 'compare-evaluated', id: request.id, summary });
  });
}

export const compareDomain: DomainHandler = {
  prefix: 'compare-',
  async handle(message, services) {
    switch (message.kind) {
      case 'compare-generate':
        controllers.set(message.id, new AbortController());
        return compareGenerate(message, services);
      case 'compare-evaluate':
        controllers.set(message.id, new AbortController());
        return compareEvaluate(message, services);
      case 'compare-cancel':
        controllers.get(message.target)?.abort();
        return;
    }
  },
};
