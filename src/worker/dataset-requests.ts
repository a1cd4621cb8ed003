/**
 * The worker's handlers for dataset requests: where the file comes from (the user's File, or the sample fetched
 * from the studio's own origin), whose tokenizer the tokens use (the loaded model's, else the bundled
 * stories260K's, read without the GPU), and the replies: a summary, or a failure carrying a DatasetFailure. Dataset
 * work does not wait for the GPU queue.
 */
import { DatasetError, datasetSourceName } from '../data';
import { chatTemplateFor } from '../model/chat';
import { loadGgufModel } from '../model/load';
import { fetchBundledModel, listBundledModels } from './bundled-models';
import type { DatasetFailure, DatasetProgress, DatasetRequests, DatasetSummary } from './dataset-protocol';
import { openDatasetSource } from './dataset-source';
import { type DataTokenizer, DatasetRequestError, DatasetWorkbench, Superseded } from './dataset-workbench';
import type { RequestHandlers } from './domains';
import { EngineError } from './engine-error';
import type { ModelSession } from './model-session';
import type { EngineEvent } from './protocol';

/** The model whose tokenizer stands in when none is loaded: the one shipped with the studio. */
const FALLBACK_MODEL = 'stories260K';

const workbench = new DatasetWorkbench();
let bundled: Promise<DataTokenizer> | null = null;

type Post = (event: EngineEvent) => void;

/** The dataset request in flight (the latest one: it supersedes any older). */
let inFlight: number | null = null;

function bundledTokenizer(): Promise<DataTokenizer> {
  bundled ??= (async () => {
    const models = await listBundledModels();
    const model = models.find((m) => m.id === FALLBACK_MODEL) ?? models[0];
    if (!model) throw new Error('no model is shipped with the studio');
    const fetched = await fetchBundledModel(model, 'gguf');
    if (fetched.kind !== 'gguf') throw new Error(`${model.name} has no GGUF file`);
    const loaded = await loadGgufModel(fetched.source);
    const template = chatTemplateFor(loaded.tokenizer, loaded.chatTemplate);
    return { tokenizer: loaded.tokenizer, template, info: { model: model.name, origin: 'bundled', template: template.kind } };
  })();
  // A failed fetch is not kept: the next request tries again.
  bundled.catch(() => (bundled = null));
  return bundled;
}

function tokenizerFor(session: () => ModelSession | null): () => Promise<DataTokenizer> {
  return async () => {
    const current = session();
    if (!current) return bundledTokenizer();
    const { tokenizer, template } = current.dataTokenizer();
    return { tokenizer, template, info: { model: current.summary.name, origin: 'loaded', template: template.kind } };
  };
}

function failureOf(error: unknown, file: string): DatasetFailure {
  if (error instanceof DatasetRequestError) return error.failure;
  if (error instanceof DatasetError) {
    return { file: error.file, message: error.message, badRows: [], columns: [], rowUnit: 'line', kind: 'dataset' };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { file, message, badRows: [], columns: [], rowUnit: 'line', kind: 'internal' };
}

/** Runs `work` as the request in flight: a cancel naming it (`signal`) stops the reading. */
async function answer(id: number, file: string, signal: AbortSignal, work: () => Promise<DatasetSummary>): Promise<DatasetSummary> {
  inFlight = id;
  const cancel = () => {
    if (inFlight === id) workbench.cancel();
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    return await work();
  } catch (error) {
    // A replaced request still answers, so its promise settles; the studio ignores it.
    const failure: DatasetFailure =
      error instanceof Superseded
        ? { file, message: error.message, badRows: [], columns: [], rowUnit: 'line', kind: 'internal' }
        : failureOf(error, file);
    throw new EngineError({ domain: 'dataset', ...failure });
  } finally {
    signal.removeEventListener('abort', cancel);
    if (inFlight === id) inFlight = null;
  }
}

/** The dataset requests' handlers; tokens come from `session`'s model when one is loaded. */
export function datasetHandlers(session: () => ModelSession | null, post: Post): RequestHandlers<keyof DatasetRequests> {
  const progressOf = (id: number) => (progress: DatasetProgress) =>
    post({ kind: 'dataset-progress', requestId: id, progress: { ...progress, request: id } });
  return {
    'open-dataset': ({ id, source, settings }, { signal }) => {
      const file = datasetSourceName(source);
      return answer(id, file, signal, async () => {
        const { blob } = await openDatasetSource(source);
        return workbench.open(blob, file, settings, tokenizerFor(session), progressOf(id));
      });
    },
    'update-dataset': ({ id, settings }, { signal }) =>
      answer(id, 'dataset', signal, () => workbench.update(settings, tokenizerFor(session), progressOf(id))),
  };
}
