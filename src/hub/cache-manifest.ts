/**
 * Cache bookkeeping that needs no storage: the key of a request, its entry's folder name, the manifest as parsed
 * from disk (a typed value or null for anything else, so a damaged entry is listed as broken rather than loaded),
 * and the summary the cache list shows.
 */
import type { CacheEntryInfo, CacheManifest, CachedFile, HubModelRequest, HubTarget } from './types';

/** The same request always maps to the same entry, whoever asks (the curated list or a typed repo id). */
export function entryKey(request: HubModelRequest): string {
  const { endpoint, repo, revision, target } = request;
  const what = target.kind === 'gguf' ? `gguf:${target.file}` : `hf:${target.folder || '.'}`;
  return `${endpoint}|${repo}|${revision}|${what}`;
}

/** A folder name for the entry: the key percent-encoded, so '/', ':' and '|' cannot reach the file system. */
export function entryFolder(key: string): string {
  return encodeURIComponent(key).replace(/\./g, '%2E');
}

/** The file name a model file is stored under inside its entry's folder (never 'manifest.json'). */
export function storedName(path: string): string {
  return `f-${encodeURIComponent(path)}`;
}

export function entryLabel(request: HubModelRequest): string {
  const { repo, revision, target } = request;
  const rev = revision === 'main' ? '' : `@${revision}`;
  return target.kind === 'gguf' ? `${repo}${rev} · ${target.file}` : `${repo}${rev}${target.folder ? ` · ${target.folder}/` : ''}`;
}

export function newManifest(request: HubModelRequest, files: CachedFile[], now: number): CacheManifest {
  return { version: 1, key: entryKey(request), request, label: entryLabel(request), files, complete: false, updatedAt: now };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string';
const isSize = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function parseTarget(v: unknown): HubTarget | null {
  if (!isRecord(v)) return null;
  if (v.kind === 'gguf' && isText(v.file)) return { kind: 'gguf', file: v.file };
  if (v.kind === 'hf' && isText(v.folder)) return { kind: 'hf', folder: v.folder };
  return null;
}

function parseFile(v: unknown): CachedFile | null {
  if (!isRecord(v) || !isText(v.path) || !isText(v.name) || typeof v.complete !== 'boolean') return null;
  if (!(v.bytes === null || isSize(v.bytes)) || !(v.etag === null || isText(v.etag))) return null;
  return { path: v.path, name: v.name, bytes: v.bytes, etag: v.etag, complete: v.complete };
}

/** The manifest read back from disk, or null when it is not one (damaged, or from a future version). */
export function parseManifest(json: unknown): CacheManifest | null {
  if (!isRecord(json) || json.version !== 1 || !isText(json.key) || !isText(json.label)) return null;
  const r = json.request;
  if (!isRecord(r) || !isText(r.endpoint) || !isText(r.repo) || !isText(r.revision)) return null;
  const target = parseTarget(r.target);
  if (!target || !Array.isArray(json.files) || typeof json.complete !== 'boolean' || !isSize(json.updatedAt)) return null;
  const files = json.files.map(parseFile);
  if (files.some((f) => f === null)) return null;
  const request: HubModelRequest = { endpoint: r.endpoint, repo: r.repo, revision: r.revision, target };
  if (entryKey(request) !== json.key) return null;
  return { version: 1, key: json.key, request, label: json.label, files: files as CachedFile[], complete: json.complete, updatedAt: json.updatedAt };
}

/** The cache list's line for an entry, given the bytes each of its files holds on disk. */
export function entryInfo(manifest: CacheManifest, storedBytes: number): CacheEntryInfo {
  const sizes = manifest.files.map((f) => f.bytes);
  const known = sizes.every((b): b is number => b !== null);
  return {
    key: manifest.key,
    label: manifest.label,
    request: manifest.request,
    format: manifest.request.target.kind,
    complete: manifest.complete,
    storedBytes,
    totalBytes: known && sizes.length > 0 ? sizes.reduce((a, b) => a + b, 0) : null,
    updatedAt: manifest.updatedAt,
  };
}
