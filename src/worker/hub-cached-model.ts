/**
 * Opens a model from the Hub cache for the worker's load: the entry's files straight from OPFS (lazy Blobs), so a
 * cached model loads with no network at all. A missing or unfinished entry is a ModelFormatError naming it, which
 * the studio shows where the load was asked.
 */
import { openCachedModel } from '../hub/cache-list';
import type { CacheStore } from '../hub/cache-store';
import { HubError } from '../hub/errors';
import { OpfsCacheStore } from '../hub/opfs-store';
import { ModelFormatError } from '../model/errors';
import { loadGgufModel, loadHfModel, type LoadedModel } from '../model/load';
import { blobSource } from '../model/source';

/** Which cache entry each opened model came from, so the entry of the loaded model is not deleted under it. */
const entryOfModel = new WeakMap<LoadedModel, string>();

export function cacheKeyOf(model: LoadedModel): string | null {
  return entryOfModel.get(model) ?? null;
}

/**
 * A GGUF entry or a Hugging Face folder entry, the same for the Playground and a Train base. `store` is the
 * browser's OPFS cache; tests pass an in-memory one.
 */
export async function loadCachedModel(key: string, store: CacheStore = new OpfsCacheStore()): Promise<LoadedModel> {
  const model = await openEntry(store, key);
  entryOfModel.set(model, key);
  return model;
}

async function openEntry(store: CacheStore, key: string): Promise<LoadedModel> {
  let opened;
  try {
    opened = await openCachedModel(store, key);
  } catch (error) {
    if (error instanceof HubError) throw new ModelFormatError('Cached model', error.message);
    throw error;
  }
  const { manifest, files } = opened;
  if (manifest.request.target.kind === 'gguf') {
    const [[name, blob]] = [...files];
    return loadGgufModel(blobSource(blob, name));
  }
  const label = manifest.request.repo.split('/')[1] + (manifest.request.target.folder ? `/${manifest.request.target.folder}` : '');
  return loadHfModel(new Map([...files].map(([name, blob]) => [name, blobSource(blob, name)])), label);
}
