/**
 * The base the Train view's next run trains on: the bundled stories260K, a GGUF file or a Hugging Face folder the
 * user gave, or a model of the Hub download cache. Each choice is inspected in the engine worker (its header only)
 * and the answer goes to the store's trainModel; an older inspection that answers late is ignored. Starting and
 * resuming runs is train-bridge.ts's.
 */
import type { RunModelRef } from '../../library/run-history';
import type { FolderFile } from '../../worker/engine-types';
import type { TrainModelSource } from '../../worker/train-protocol';
import { engineClient } from '../engineBridge';
import { pickModel, type UserModelSource } from '../playground/model-files';
import { errorText } from '../format';
import { useStudio, whenSettled } from '../stores/studio';

/** The base every run trains until user-dropped bases are supported: the bundled stories260K, as GGUF. */
export const DEFAULT_TRAIN_MODEL: TrainModelSource = { kind: 'bundled', id: 'stories260K', format: 'gguf' };
/** The base the user picked for the next run (null: the bundled default). */
let chosenModel: TrainModelSource | null = null;

export function refOf(source: TrainModelSource): RunModelRef {
  switch (source.kind) {
    case 'gguf-file':
      return { kind: 'gguf-file', name: source.file.name, bytes: source.file.size };
    case 'folder':
      return { kind: 'folder', label: source.label, files: source.files.length, bytes: source.files.reduce((n, f) => n + f.file.size, 0) };
    default:
      return source;
  }
}

/** Whether the base is files the user gave (which the browser forgets on reload), not a bundled or cached model. */
export function isUserFiles(source: TrainModelSource): source is UserModelSource {
  return source.kind === 'gguf-file' || source.kind === 'folder';
}

/** The latest base asked for; an older inspection that answers later is ignored. */
let inspectTicket = 0;

/** Reads the base's header in the worker: its architecture and storage, for the form and the memory estimate. */
export async function inspectBase(source: TrainModelSource): Promise<void> {
  const client = engineClient();
  if (!client) return;
  const ticket = ++inspectTicket;
  const ref = refOf(source);
  useStudio.getState().trainModelChanged({ status: 'loading', source: ref });
  try {
    const info = await client.call('train-inspect', { model: source });
    if (ticket === inspectTicket) useStudio.getState().trainModelChanged({ status: 'ready', source: ref, info });
  } catch (error) {
    if (ticket === inspectTicket) useStudio.getState().trainModelChanged({ status: 'failed', source: ref, message: errorText(error) });
  }
}

/** The base of the next run: a GGUF file the user opened (the .gguf button), or (null) the bundled stories260K. */
export function chooseTrainModel(file: File | null): void {
  chosenModel = file ? { kind: 'gguf-file', file } : null;
  void inspectBase(currentModelSource());
}

/**
 * The base of the next run: what the user dropped or picked in the base picker, a GGUF file or a Hugging Face
 * folder, read as the Playground reads it. Files that are neither are refused with the picker's message.
 */
export function chooseTrainModelFiles(files: FolderFile[]): void {
  const picked = pickModel(files);
  if (picked.ok) {
    chosenModel = picked.source;
    void inspectBase(currentModelSource());
    return;
  }
  refuseBase(picked.message, files);
}

/** A drop the browser could not read: the next run has no base until another is chosen. */
export function trainModelDropUnreadable(error: unknown): void {
  refuseBase(`The drop could not be read: ${errorText(error)}`, []);
}

function refuseBase(why: string, files: FolderFile[]): void {
  // An inspection still under way must not answer over this refusal.
  inspectTicket++;
  chosenModel = null;
  const label = files.length === 1 ? files[0].path : (files[0]?.path.split('/')[0] ?? 'nothing');
  const bytes = files.reduce((n, f) => n + f.file.size, 0);
  useStudio.getState().trainModelChanged({ status: 'failed', source: { kind: 'folder', label, files: files.length, bytes }, message: why });
}

/** The base of the next run: a complete model of the Hub download cache. */
export function chooseCachedTrainModel(key: string, label: string): void {
  chosenModel = { kind: 'cached', key, label };
  void inspectBase(currentModelSource());
}

/** The base the next run trains on. */
export function currentModelSource(): TrainModelSource {
  return chosenModel ?? DEFAULT_TRAIN_MODEL;
}

/** Resolves once a base being read (the bundled model on a fresh page, a file just picked) is ready or has failed. */
export function baseSettled(): Promise<void> {
  return whenSettled((state) => state.trainModel.status === 'loading');
}
