/** Node: opens a model from a path — a `.gguf` file, or a Hugging Face folder. */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadGgufModel, loadHfModel, type LoadedModel } from './load';
import { fileSource, folderSources } from './source-node';

export async function loadModelFromPath(path: string): Promise<LoadedModel> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new Error(`${path}: no such file or folder`);
  if (info.isDirectory()) return loadHfModel(await folderSources(path), basename(path));
  return loadGgufModel(await fileSource(path));
}
