/**
 * A Hub cache entry opened as a model, as the Playground and a Train base (`{ kind: 'cached' }`) both open it:
 * here a Hugging Face folder entry (stories260K's hf/ folder) written into an in-memory cache store exactly as a
 * download lays it out.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { entryFolder, newManifest, storedName } from '../hub/cache-manifest';
import { MemoryCacheStore } from '../hub/memory-store';
import type { CachedFile, HubModelRequest } from '../hub/types';
import { ModelFormatError } from '../model/errors';
import { closeModel, type LoadedModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { cacheKeyOf, loadCachedModel } from './hub-cached-model';

const HF = fileURLToPath(new URL('../../../shared/models/stories260K/hf', import.meta.url));

const REQUEST: HubModelRequest = {
  endpoint: 'https://huggingface.co',
  repo: 'webtune-test/stories260K',
  revision: 'main',
  target: { kind: 'hf', folder: 'hf' },
};

/** Stores every file of the folder under its repo path, with a manifest that says `complete`. */
async function cacheFolder(store: MemoryCacheStore, complete: boolean): Promise<string> {
  const names = (await readdir(HF)).sort();
  const files: CachedFile[] = [];
  const manifest = newManifest(REQUEST, files, 1);
  const folder = entryFolder(manifest.key);
  for (const name of names) {
    const bytes = new Uint8Array(await readFile(`${HF}/${name}`));
    const path = `hf/${name}`;
    files.push({ path, name, bytes: bytes.byteLength, etag: null, complete: true });
    const writer = await store.openWriter(folder, storedName(path), 0);
    await writer.write(bytes);
    await writer.close();
  }
  await store.writeManifest(folder, { ...manifest, files, complete });
  return manifest.key;
}

describe('loadCachedModel', () => {
  const opened: LoadedModel[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map(closeModel));
  });

  it('opens a cached Hugging Face folder as the same model as the folder on disk', async () => {
    const store = new MemoryCacheStore();
    const key = await cacheFolder(store, true);
    const cached = await loadCachedModel(key, store);
    const disk = await loadModelFromPath(HF);
    opened.push(cached, disk);
    expect(cached.format).toBe('hf');
    expect(cached.name).toBe('stories260K/hf');
    expect(cached.config).toEqual(disk.config);
    expect([...cached.weights.tensors.keys()].sort()).toEqual([...disk.weights.tensors.keys()].sort());
    expect(cached.tokenizer.encode('Once upon a time')).toEqual(disk.tokenizer.encode('Once upon a time'));
    // Known as that entry, so the cache does not delete it from under a run training on it.
    expect(cacheKeyOf(cached)).toBe(key);
  });

  it('refuses an entry that has not finished downloading, naming it', async () => {
    const store = new MemoryCacheStore();
    const key = await cacheFolder(store, false);
    const error = await loadCachedModel(key, store).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(String(error)).toContain('webtune-test/stories260K · hf/ has not finished downloading');
  });
});
