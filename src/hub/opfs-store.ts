/**
 * The cache in the browser's origin-private file system: `hub-cache/<entry folder>/manifest.json` and the model's
 * files beside it. Writes go through a sync access handle (dedicated workers only), which writes in place, so the
 * bytes of a transfer cut mid-way are on disk for the resume. Reads hand out the File itself (a lazy Blob), so a
 * model of gigabytes is never read into memory at once.
 */
import type { CacheFileWriter, CacheStore } from './cache-store';
import { HubError } from './errors';

const CACHE_DIR = 'hub-cache';
const MANIFEST = 'manifest.json';
/** Bytes written between flushes: what a crash of the tab could lose, at most. */
const FLUSH_EVERY = 16 * 2 ** 20;

/** The parts of OPFS used here that TypeScript's DOM library leaves out (async iteration, sync handles). */
interface Listable {
  keys(): AsyncIterable<string>;
}
interface SyncAccessHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
interface SyncFileHandle {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
}

function isNotFound(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'NotFoundError' || error.name === 'TypeMismatchError');
}

export class OpfsCacheStore implements CacheStore {
  private async root(create: boolean): Promise<FileSystemDirectoryHandle | null> {
    // Browsers offer the origin-private file system to secure pages only (https, localhost).
    if (typeof navigator.storage?.getDirectory !== 'function') {
      throw new HubError(
        'storage',
        'This browser offers no storage for downloaded models here: open the studio over https or from localhost, outside a private window.',
      );
    }
    try {
      return await (await navigator.storage.getDirectory()).getDirectoryHandle(CACHE_DIR, { create });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private async dir(folder: string, create: boolean): Promise<FileSystemDirectoryHandle | null> {
    const root = await this.root(create);
    if (!root) return null;
    try {
      return await root.getDirectoryHandle(folder, { create });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private async file(folder: string, name: string): Promise<File | null> {
    const dir = await this.dir(folder, false);
    if (!dir) return null;
    try {
      return await (await dir.getFileHandle(name)).getFile();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async folders(): Promise<string[]> {
    const root = await this.root(false);
    if (!root) return [];
    const names: string[] = [];
    for await (const name of (root as unknown as Listable).keys()) names.push(name);
    return names;
  }

  async readManifest(folder: string): Promise<unknown> {
    const file = await this.file(folder, MANIFEST);
    if (!file) return null;
    try {
      return JSON.parse(await file.text()) as unknown;
    } catch {
      return null;
    }
  }

  async writeManifest(folder: string, manifest: unknown): Promise<void> {
    const dir = (await this.dir(folder, true))!;
    const handle = await dir.getFileHandle(MANIFEST, { create: true });
    // createWritable swaps the file in on close, so a manifest is never seen half-written.
    const writable = await handle.createWritable();
    await writable.write(JSON.stringify(manifest));
    await writable.close();
  }

  async storedBytes(folder: string, name: string): Promise<number> {
    return (await this.file(folder, name))?.size ?? 0;
  }

  async openWriter(folder: string, name: string, keep: number): Promise<CacheFileWriter> {
    const dir = (await this.dir(folder, true))!;
    const handle = (await dir.getFileHandle(name, { create: true })) as unknown as SyncFileHandle;
    const access = await handle.createSyncAccessHandle();
    access.truncate(keep);
    let at = keep;
    let unflushed = 0;
    return {
      write: async (chunk) => {
        let written = 0;
        while (written < chunk.byteLength) written += access.write(chunk.subarray(written), { at: at + written });
        at += written;
        unflushed += written;
        if (unflushed >= FLUSH_EVERY) {
          access.flush();
          unflushed = 0;
        }
      },
      close: async () => {
        access.flush();
        access.close();
      },
    };
  }

  async readFile(folder: string, name: string): Promise<Blob | null> {
    return this.file(folder, name);
  }

  async removeFolder(folder: string): Promise<void> {
    const root = await this.root(false);
    if (!root) return;
    try {
      await root.removeEntry(folder, { recursive: true });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
