/** What a Hub download asks for and what the cache keeps about it: plain, structured-clone-safe data. */

/** One GGUF file of a repo, or a Hugging Face model folder (the repo's root, or a folder inside it). */
export type HubTarget = { kind: 'gguf'; file: string } | { kind: 'hf'; folder: string };

export interface HubModelRequest {
  /** Origin plus optional path, no trailing slash (see parseEndpoint). */
  endpoint: string;
  /** "owner/name". */
  repo: string;
  revision: string;
  target: HubTarget;
}

/** One file of a cache entry. */
export interface CachedFile {
  /** Path inside the repo ("hf/config.json"). */
  path: string;
  /** Path inside the model folder ("config.json"), as the model loaders want it. */
  name: string;
  /** Size the server declared (the validator for resuming, with the ETag); null until its first response. */
  bytes: number | null;
  /** The server's ETag of the whole file, normalised (no W/, no quotes); null when it sent none. */
  etag: string | null;
  complete: boolean;
}

/** The cache's record of one model, stored beside its files. `complete` only once every file arrived and checked. */
export interface CacheManifest {
  version: 1;
  key: string;
  request: HubModelRequest;
  /** "owner/name · file" for the lists. */
  label: string;
  files: CachedFile[];
  complete: boolean;
  /** Milliseconds since the epoch of the last change. */
  updatedAt: number;
}

/** What the cache list shows about one entry. */
export interface CacheEntryInfo {
  key: string;
  label: string;
  request: HubModelRequest;
  format: 'gguf' | 'hf';
  complete: boolean;
  /** Bytes on disk now (a partial entry: what a resume starts from). */
  storedBytes: number;
  /** Bytes of the whole model where every file's size is known; null otherwise. */
  totalBytes: number | null;
  updatedAt: number;
}

/** Byte-level progress of a download, for the progress bar. */
export interface DownloadProgress {
  /** Path inside the repo of the file in transfer. */
  file: string;
  fileIndex: number;
  fileCount: number;
  /** Bytes stored so far, every file of the model together (resumed bytes included). */
  receivedBytes: number;
  /** Sum of the sizes known so far; null while some file's size is unknown. */
  totalBytes: number | null;
  /** Set while a transfer continues from stored bytes after an interruption (the Range start). */
  resumedFrom: number | null;
}
