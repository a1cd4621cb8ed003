/** Node: opens a model from a path — a `.gguf` file, or a Hugging Face folder. */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadGgufModel, loadHfModel, type LoadedModel } from './load';
import type { ByteSource } from './source';
import { closeSources, fileSource, folderSources } from './source-node';

export async function loadModelFromPath(path: string): Promise<LoadedModel> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new Error(`${path}: no such file or folder`);
  const sources = info.isDirectory() ? await folderSources(path) : new Map([[basename(path), await fileSource(path)]]);
  try {
    return info.isDirectory()
      ? await loadHfModel(sources, basename(path))
      : await loadGgufModel(sources.values().next().value as ByteSource);
  } catch (error) {
    // A refused file must not keep its handle open (Node would close it on garbage collection, with a warning).
    await closeSources(sources.values());
    throw error;
  }
}
