/**
 * The one place where engine news reaches the store: it owns the worker client, turns its promises and events
 * into slice actions (streamed tokens throttled to ten updates a second), and can start over with a fresh worker
 * when the user asks to try again.
 */
import { EngineClient, engineProblem } from '../worker/client';
import type { DatasetFailure, DatasetProgress, DatasetSettings, DatasetSource, DatasetSummary } from '../worker/dataset-protocol';
import { type DatasetForm, parseDatasetForm } from './datasets/dataset-form';
import type { EngineFailure, ModelSource } from '../worker/protocol';
import { parseForm } from './playground/settings';
import { TASK_PROBLEM_TITLES } from './task-problem-titles';
import type { ShownProblem } from './stores/playgroundSlice';
import { useStudio } from './stores/studio';
import { throttleLatest } from './throttle';

/** Streamed text reaches the store at most this often. */
const PROGRESS_INTERVAL_MS = 100;

let client: EngineClient | null = null;
/** The latest load asked for; an older one that finishes later is ignored. */
let loadTicket = 0;
let generation: AbortController | null = null;

function failureOf(error: unknown): EngineFailure {
  const device = engineProblem(error, 'device');
  if (device) return { reason: device.reason, message: device.message, secureContext: device.secureContext };
  return { reason: 'internal', message: String(error), secureContext: isSecureContext };
}

function problemOf(error: unknown): ShownProblem {
  const task = engineProblem(error, 'task');
  if (task) return { title: TASK_PROBLEM_TITLES[task.kind], message: task.message };
  const device = engineProblem(error, 'device');
  if (device) return { title: 'The engine has no GPU device', message: `${device.message} (see Device)` };
  return { title: TASK_PROBLEM_TITLES.internal, message: error instanceof Error ? error.message : String(error) };
}

const connectListeners = new Set<(client: EngineClient) => void>();

/** The current worker client (null before connectEngine, or when the worker could not start), for domain bridges. */
export function engineClient(): EngineClient | null {
  return client;
}

/**
 * Calls `listener` with every new worker client (after each connectEngine), so a domain bridge (train, library,
 * compare, hub) can subscribe to its events. Returns the unsubscribe.
 */
export function onEngineConnected(listener: (client: EngineClient) => void): () => void {
  connectListeners.add(listener);
  if (client) listener(client);
  return () => connectListeners.delete(listener);
}

/** Starts the engine worker (replacing any previous one) and asks it for a device and the bundled models. */
export async function connectEngine(): Promise<void> {
  client?.dispose();
  client = null;
  generation = null;
  // A new worker holds no dataset: what the view showed is gone with the old one.
  datasetOpen = false;
  datasetTicket++;
  const store = useStudio.getState();
  if (store.dataset.status !== 'empty') store.datasetCleared();
  store.deviceProbing();
  store.modelCleared();
  let current: EngineClient;
  try {
    current = new EngineClient({
      deviceLost: (loss) => {
        useStudio.getState().deviceLost(loss);
        const { model } = useStudio.getState();
        if (model.status === 'ready' || model.status === 'loading') {
          const label = model.status === 'ready' ? model.summary.name : model.label;
          useStudio.getState().modelFailed(label, {
            title: 'The GPU device was lost',
            message: `${loss.message} The model went with it; load it again once the device is back (see Device).`,
          });
        }
      },
      workerFailed: (failure) => {
        console.error(`webtune engine worker failed: ${failure.message}`);
        useStudio.getState().deviceUnavailable(failure);
      },
    });
  } catch (error) {
    // Workers can be refused outright (e.g. by a content-security policy); say so rather than spin forever.
    store.deviceUnavailable({ reason: 'worker-failed', message: String(error), secureContext: isSecureContext });
    return;
  }
  client = current;
  for (const listener of connectListeners) listener(current);
  void listBundledModels(current);
  try {
    const report = await current.call('probe', {});
    if (client === current) useStudio.getState().deviceReady(report);
  } catch (error) {
    if (client === current) useStudio.getState().deviceUnavailable(failureOf(error));
  }
}

async function listBundledModels(current: EngineClient): Promise<void> {
  try {
    const models = await current.call('list-models', {});
    if (client === current) useStudio.getState().bundledListed(models);
  } catch (error) {
    if (client === current) useStudio.getState().bundledFailed(problemOf(error));
  }
}

/** Frees the loaded model and loads this one; a running generation stops first (the worker sees to it). */
export async function loadModel(source: ModelSource, label: string): Promise<void> {
  const current = client;
  if (!current) return;
  const ticket = ++loadTicket;
  generation?.abort();
  generation = null;
  useStudio.getState().modelLoading(label);
  try {
    const summary = await current.call('load-model', { source });
    if (client === current && ticket === loadTicket) {
      useStudio.getState().modelReady(summary);
      // The open dataset's tokens change with the model's tokenizer and template.
      if (datasetOpen) void applyDatasetSettings();
    }
  } catch (error) {
    if (client === current && ticket === loadTicket) useStudio.getState().modelFailed(label, problemOf(error));
  }
}

/** Shows why files given by the user are not a model, without asking the engine. */
export function rejectModelFiles(message: string): void {
  loadTicket++;
  useStudio.getState().modelFailed('Opened files', { title: 'These files are not a model', message });
}

/** Generates from the form's prompt and settings, or marks the fields that are wrong. */
export async function startGeneration(): Promise<void> {
  const current = client;
  const state = useStudio.getState();
  if (!current || state.model.status !== 'ready' || state.generation.status === 'running') return;
  const parsed = parseForm(state.form, state.model.summary.contextLength);
  if (!parsed.ok) {
    state.formRejected(parsed.errors);
    return;
  }
  const { settings } = parsed;
  const controller = new AbortController();
  generation = controller;
  state.generationStarted({ prompt: settings.prompt, chat: settings.chat, maxTokens: settings.maxTokens });
  const progress = throttleLatest(useStudio.getState().generationProgressed, PROGRESS_INTERVAL_MS);
  try {
    const outcome = await current.call('generate', { settings }, { onEvent: (event) => progress.push(event.progress), signal: controller.signal });
    progress.cancel();
    if (client === current && generation === controller) useStudio.getState().generationDone(outcome);
  } catch (error) {
    progress.cancel();
    if (client === current && generation === controller) useStudio.getState().generationFailed(problemOf(error));
  } finally {
    if (generation === controller) generation = null;
  }
}

/** Stops the running generation after its current token; the text so far stays. */
export function stopGeneration(): void {
  if (!generation || generation.signal.aborted) return;
  generation.abort();
  useStudio.getState().generationStopping();
}

// Datasets: the file is read and tokenized in the worker; the store gets its summary.

/** The latest dataset request; answers to older ones are ignored. */
let datasetTicket = 0;
/** The worker holds a file (read or refused) that new settings can be applied to. */
let datasetOpen = false;
let settingsTimer: ReturnType<typeof setTimeout> | null = null;
/** Typing in a number field applies the settings once the typing pauses this long. */
const SETTINGS_DELAY_MS = 350;

function datasetFailureOf(error: unknown, file: string): DatasetFailure {
  const dataset = engineProblem(error, 'dataset');
  if (dataset) {
    const { domain: _, ...failure } = dataset;
    return failure;
  }
  const device = engineProblem(error, 'device');
  const message = device ? `The engine is not running: ${device.message}` : String(error);
  return { file, message, badRows: [], columns: [], rowUnit: 'line', kind: 'internal' };
}

/** The settings of the summary the Datasets view shows (null while none is shown). */
let shownSettings: DatasetSettings | null = null;

async function runDatasetRequest(
  file: string,
  sameFile: boolean,
  settings: DatasetSettings,
  send: (current: EngineClient, onProgress: (p: DatasetProgress) => void) => Promise<DatasetSummary>,
): Promise<void> {
  const current = client;
  if (!current) return;
  const ticket = ++datasetTicket;
  shownSettings = null;
  useStudio.getState().datasetLoading(file, sameFile);
  const progress = throttleLatest(useStudio.getState().datasetProgressed, PROGRESS_INTERVAL_MS);
  try {
    const summary = await send(current, (p) => {
      if (ticket === datasetTicket) progress.push(p);
    });
    progress.cancel();
    if (client === current && ticket === datasetTicket) {
      shownSettings = settings;
      useStudio.getState().datasetReady(summary);
    }
  } catch (error) {
    progress.cancel();
    if (client === current && ticket === datasetTicket) useStudio.getState().datasetFailed(file, datasetFailureOf(error, file));
  }
}

/** The file open in the Datasets view (null for the sample or none), so other views can offer the same data. */
let datasetFile: File | null = null;

export function openDatasetFile(): File | null {
  return datasetOpen ? datasetFile : null;
}

/**
 * The dataset the Datasets view shows (`file` null for the sample) with the settings its summary was made with,
 * so a Train run on the same data reads it the same way (shape, mapping, bad rows, split); null when none is shown.
 */
function shownDataset(): { file: File | null; settings: DatasetSettings } | null {
  return datasetOpen && shownSettings ? { file: datasetFile, settings: shownSettings } : null;
}

/** The Datasets view's settings when `source` is what it shows (the same File, or the sample); else null. */
export function settingsAsShown(source: DatasetSource): DatasetSettings | null {
  const shown = shownDataset();
  const same = shown !== null && (source.kind === 'file' ? shown.file === source.file : shown.file === null);
  return same ? shown.settings : null;
}

/** Opens a file the user dropped or picked, or the sample, with the current settings (shape and mapping reset). */
export function openDataset(source: DatasetSource, label: string): Promise<void> {
  if (settingsTimer) clearTimeout(settingsTimer);
  datasetFile = source.kind === 'file' ? source.file : null;
  const store = useStudio.getState();
  // A new file has its own columns: the previous file's shape choice and mapping do not carry over.
  store.editDatasetForm({ format: 'auto', mapping: {} });
  const parsed = parseDatasetForm(useStudio.getState().datasetForm);
  if (!parsed.ok) {
    store.datasetFormRejected(parsed.errors);
    return Promise.resolve();
  }
  datasetOpen = true;
  return runDatasetRequest(label, false, parsed.settings, (current, onProgress) =>
    current.call('open-dataset', { source, settings: parsed.settings }, { onEvent: (event) => onProgress(event.progress) }),
  );
}

/** Re-summarises the open dataset with the form's settings, or marks the fields that are wrong. */
export function applyDatasetSettings(): Promise<void> {
  if (settingsTimer) clearTimeout(settingsTimer);
  settingsTimer = null;
  const state = useStudio.getState();
  if (!datasetOpen) return Promise.resolve();
  const parsed = parseDatasetForm(state.datasetForm);
  if (!parsed.ok) {
    state.datasetFormRejected(parsed.errors);
    return Promise.resolve();
  }
  const file =
    state.dataset.status === 'ready' ? state.dataset.summary.file : state.dataset.status === 'empty' ? 'dataset' : state.dataset.file;
  return runDatasetRequest(file, true, parsed.settings, (current, onProgress) =>
    current.call('update-dataset', { settings: parsed.settings }, { onEvent: (event) => onProgress(event.progress) }),
  );
}

/** Edits the form; choices apply at once, typed numbers after a pause. */
export function editDatasetSettings(patch: Partial<DatasetForm>, when: 'now' | 'after-typing' = 'now'): void {
  useStudio.getState().editDatasetForm(patch);
  if (settingsTimer) clearTimeout(settingsTimer);
  if (when === 'now') void applyDatasetSettings();
  else settingsTimer = setTimeout(() => void applyDatasetSettings(), SETTINGS_DELAY_MS);
}
