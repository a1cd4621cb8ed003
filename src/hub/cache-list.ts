/**
 * The cache as the studio sees it: the entries with their sizes, deleting one, and opening a complete one's files
 * for the model loaders (no network).
 */
import { entryFolder, entryInfo, parseManifest, storedName } from './cache-manifest';
import type { CacheStore } from './cache-store';
import { HubError } from './errors';
import type { CacheEntryInfo, CacheManifest } from './types';

export interface CacheListing {
  entries: CacheEntryInfo[];
  /** Bytes of every entry together. */
  totalBytes: number;
}

/** Every entry with a readable manifest, newest first. Folders without one (never ours, or damaged) are left out. */
export async function listCache(store: CacheStore): Promise<CacheListing> {
  const entries: CacheEntryInfo[] = [];
  for (const folder of await store.folders()) {
    const manifest = parseManifest(await store.readManifest(folder));
    if (!manifest || entryFolder(manifest.key) !== folder) continue;
    let stored = 0;
    for (const file of manifest.files) stored += await store.storedBytes(folder, storedName(file.path));
    entries.push(entryInfo(manifest, stored));
  }
  entries.sort((a, b) => b.updatedAt - a.updatedAt || a.label.localeCompare(b.label));
  return { entries, totalBytes: entries.reduce((n, e) => n + e.storedBytes, 0) };
}

export async function deleteCacheEntry(store: CacheStore, key: string): Promise<void> {
  await store.removeFolder(entryFolder(key));
}

export interface CachedModelFiles {
  manifest: CacheManifest;
  /** Path inside the model folder → bytes (for a GGUF, one file). */
  files: Map<string, Blob>;
}

/** A complete entry's files, checked against the sizes it recorded; a partial or damaged entry is refused. */
export async function openCachedModel(store: CacheStore, key: string): Promise<CachedModelFiles> {
  const folder = entryFolder(key);
  const manifest = parseManifest(await store.readManifest(folder));
  if (!manifest) throw new HubError('not-found', 'This model is no longer in the cache; download it again.');
  if (!manifest.complete) {
    throw new HubError('not-found', `${manifest.label} has not finished downloading; download it again to continue.`);
  }
  const files = new Map<string, Blob>();
  for (const file of manifest.files) {
    const blob = await store.readFile(folder, storedName(file.path));
    if (!blob || blob.size !== file.bytes) {
      throw new HubError('bad-file', `${manifest.label}: the cached ${file.path} is damaged (${blob?.size ?? 0} of ${file.bytes} bytes); delete the entry and download it again.`);
    }
    files.set(file.name, blob);
  }
  return { manifest, files };
}
