/**
 * Where cache entries live: one folder per entry holding `manifest.json` and the model's files. The browser's store
 * is OPFS (opfs-store.ts); tests use the in-memory one (memory-store.ts). Everything above this interface (resume,
 * listing, deleting) is the same code for both.
 */
export interface CacheFileWriter {
  /** Appends bytes at the end of what the file holds. */
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes and releases the file; always called, also after a failed transfer. */
  close(): Promise<void>;
}

export interface CacheStore {
  /** Folder names of every entry (complete, partial or damaged). */
  folders(): Promise<string[]>;
  /** The parsed JSON of the folder's manifest, or null when there is none or it is not JSON. */
  readManifest(folder: string): Promise<unknown>;
  writeManifest(folder: string, manifest: unknown): Promise<void>;
  /** Bytes the file holds (0 when it does not exist). */
  storedBytes(folder: string, name: string): Promise<number>;
  /** Opens the file for appending after cutting it to `keep` bytes (0: start over). Creates folder and file. */
  openWriter(folder: string, name: string, keep: number): Promise<CacheFileWriter>;
  /** The file's bytes as a Blob (read lazily where the store allows), or null when it does not exist. */
  readFile(folder: string, name: string): Promise<Blob | null>;
  /** Removes the folder and everything in it (no error when it does not exist). */
  removeFolder(folder: string): Promise<void>;
}
