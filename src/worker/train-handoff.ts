/**
 * The engine worker's hand-off request: the run the Train form describes, as the folder that continues it in
 * Axolotl or TRL (export/handoff-run.ts), zipped. Nothing is trained and the GPU is not touched; the base is opened
 * only for its tokenizer and chat template, as a run would open it.
 */
import { DatasetError, parseDatasetBlob } from '../data';
import { handoffOfDataset } from '../export/handoff-run';
import { zipFiles } from '../library/zip';
import { closeModel } from '../model/load';
import { checkTrainingConfig } from '../train/config';
import { openDatasetSource } from './dataset-source';
import { EngineError } from './engine-error';
import type { TrainHandoffRequest } from './train-protocol';
import { openTrainModel } from './train-run';

/** The hand-off zip of the run a form describes (nothing is trained); refusals as a run's would be. */
export async function handoffRun(request: TrainHandoffRequest): Promise<Blob> {
  const fail = (kind: 'config' | 'data' | 'model', error: unknown): never => {
    throw new EngineError({ domain: 'train', kind, message: error instanceof Error ? error.message : String(error), checkpointStep: null });
  };
  try {
    checkTrainingConfig(request.config);
  } catch (error) {
    fail('config', error);
  }
  const loaded = await openTrainModel(request.model).catch((error: unknown) => fail('model', error));
  try {
    const { blob, name } = await openDatasetSource(request.data);
    const parsed = await parseDatasetBlob(blob, { ...request.dataset, file: name });
    const { files } = handoffOfDataset({ model: loaded, parsed, datasetName: name, config: request.config, name: request.runName, baseModel: loaded.name, split: request.dataset.split });
    const encoder = new TextEncoder();
    const parts = Object.fromEntries(Object.entries(files).map(([file, text]) => [file, [encoder.encode(text)]]));
    return new Blob([zipFiles(parts) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
  } catch (error) {
    return fail(error instanceof DatasetError ? 'data' : 'config', error);
  } finally {
    await closeModel(loaded);
  }
}

