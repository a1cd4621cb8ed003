/**
 * The worker's handlers for dataset requests: where the file comes from (the user's File, or the sample fetched
 * from the studio's own origin), whose tokenizer the tokens use (the loaded model's, else the bundled
 * stories260K's, read without the GPU), and the replies. Dataset work does not wait for the GPU queue.
 */
import { DatasetError, SAMPLE_DATASET } from '../data';
import { chatTemplateFor } from '../model/chat';
import { loadGgufModel } from '../model/load';
import { fetchBundledModel, listBundledModels } from './bundled-models';
import type { DatasetFailure, DatasetSummary } from './dataset-protocol';
import { type DataTokenizer, DatasetRequestError, DatasetWorkbench, Superseded } from './dataset-workbench';
import type { ModelSession } from './model-session';
import type { FromEngine, OpenDatasetRequest, UpdateDatasetRequest } from './protocol';

/** The model whose tokenizer stands in when none is loaded: the one shipped with the studio. */
const FALLBACK_MODEL = 'stories260K';

const workbench = new DatasetWorkbench();
let bundled: Promise<DataTokenizer> | null = null;

type Post = (message: FromEngine) => void;

/** The dataset request in flight (the latest one: it supersedes any older). */
let inFlight: number | null = null;

/** Stops dataset request `target` if it is the one in flight; it answers a 'cancelled' failure. */
export function cancelDataset(target: number): void {
  if (target === inFlight) workbench.cancel();
}

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

async function fetchSample(): Promise<Blob> {
  const url = new URL(`${import.meta.env.BASE_URL}${SAMPLE_DATASET.url}`, self.location.href);
  const name = SAMPLE_DATASET.url;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DatasetError(name, `the sample could not be fetched (${String(error)})`);
  }
  if (!response.ok) throw new DatasetError(name, `the sample could not be fetched: the server answered ${response.status}`);
  return response.blob();
}

function failureOf(error: unknown, file: string): DatasetFailure {
  if (error instanceof DatasetRequestError) return error.failure;
  if (error instanceof DatasetError) {
    return { file: error.file, message: error.message, badRows: [], columns: [], rowUnit: 'line', kind: 'dataset' };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { file, message, badRows: [], columns: [], rowUnit: 'line', kind: 'internal' };
}

async function answer(id: number, file: string, post: Post, work: () => Promise<DatasetSummary>): Promise<void> {
  inFlight = id;
  try {
    post({ kind: 'dataset-ready', id, summary: await work() });
  } catch (error) {
    // A replaced request still answers, so its promise settles; the studio ignores it.
    if (error instanceof Superseded) {
      post({ kind: 'dataset-failed', id, failure: { file, message: error.message, badRows: [], columns: [], rowUnit: 'line', kind: 'internal' } });
      return;
    }
    post({ kind: 'dataset-failed', id, failure: failureOf(error, file) });
  } finally {
    if (inFlight === id) inFlight = null;
  }
}

export function openDataset(request: OpenDatasetRequest, session: () => ModelSession | null, post: Post): Promise<void> {
  const { source, settings, id } = request;
  const file = source.kind === 'file' ? source.file.name : SAMPLE_DATASET.url.split('/').at(-1)!;
  return answer(id, file, post, async () => {
    const blob = source.kind === 'file' ? source.file : await fetchSample();
    return workbench.open(blob, file, settings, tokenizerFor(session), (progress) =>
      post({ kind: 'dataset-progress', id, progress: { ...progress, request: id } }),
    );
  });
}

export function updateDataset(request: UpdateDatasetRequest, session: () => ModelSession | null, post: Post): Promise<void> {
  const { settings, id } = request;
  return answer(id, 'dataset', post, () =>
    workbench.update(settings, tokenizerFor(session), (progress) =>
      post({ kind: 'dataset-progress', id, progress: { ...progress, request: id } }),
    ),
  );
}
