/** A CacheStore in memory, for tests: the same contract as OPFS, including truncation on open. */
import type { CacheFileWriter, CacheStore } from './cache-store';

export class MemoryCacheStore implements CacheStore {
  readonly entries = new Map<string, { manifest: string | null; files: Map<string, Uint8Array> }>();

  private folder(name: string) {
    let entry = this.entries.get(name);
    if (!entry) {
      entry = { manifest: null, files: new Map() };
      this.entries.set(name, entry);
    }
    return entry;
  }

  async folders(): Promise<string[]> {
    return [...this.entries.keys()];
  }

  async readManifest(folder: string): Promise<unknown> {
    const text = this.entries.get(folder)?.manifest;
    if (text == null) return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return null;
    }
  }

  async writeManifest(folder: string, manifest: unknown): Promise<void> {
    this.folder(folder).manifest = JSON.stringify(manifest);
  }

  async storedBytes(folder: string, name: string): Promise<number> {
    return this.entries.get(folder)?.files.get(name)?.byteLength ?? 0;
  }

  async openWriter(folder: string, name: string, keep: number): Promise<CacheFileWriter> {
    const files = this.folder(folder).files;
    files.set(name, (files.get(name) ?? new Uint8Array(0)).slice(0, keep));
    return {
      write: async (chunk) => {
        const before = files.get(name)!;
        const after = new Uint8Array(before.byteLength + chunk.byteLength);
        after.set(before);
        after.set(chunk, before.byteLength);
        files.set(name, after);
      },
      close: async () => undefined,
    };
  }

  async readFile(folder: string, name: string): Promise<Blob | null> {
    const bytes = this.entries.get(folder)?.files.get(name);
    return bytes ? new Blob([bytes as Uint8Array<ArrayBuffer>]) : null;
  }

  async removeFolder(folder: string): Promise<void> {
    this.entries.delete(folder);
  }
}
