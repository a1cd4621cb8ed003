/**
 * RunStorage in the browser's origin-private file system (OPFS), one folder per run (`runs/<runId>/`). Each write
 * goes to `<name>.partial` and is then moved over `<name>`, so a reload or a lost device mid-write leaves the last
 * complete checkpoint in place (RunStorage's atomicity rule). Works in the engine worker and in the page.
 */
import { streamChunks } from '../core/stream-chunks';
import type { RunStorage } from './storage';

/** The parts of FileSystemDirectoryHandle used here (a test can give an in-memory folder). */
export interface OpfsDirectory {
  getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFile>;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<OpfsDirectory>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
}

export interface OpfsFile {
  getFile(): Promise<Blob>;
  createWritable(options?: { keepExistingData?: boolean }): Promise<OpfsWritable>;
  /** Chromium's FileSystemHandle.move(newName): renames within the folder, replacing a file of that name. */
  move?(name: string): Promise<void>;
}

export interface OpfsWritable {
  write(data: Uint8Array<ArrayBuffer>): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export const RUNS_DIR = 'runs';
const PARTIAL = '.partial';

function isNotFound(error: unknown): boolean {
  return error instanceof DOMException ? error.name === 'NotFoundError' : (error as { name?: string })?.name === 'NotFoundError';
}

export class OpfsRunStorage implements RunStorage {
  private constructor(
    private readonly dir: OpfsDirectory,
    readonly where: string,
  ) {}

  /** The run's folder under `runs/` in `root` (default: this origin's OPFS root), created when missing. */
  static async open(runId: string, root?: OpfsDirectory): Promise<OpfsRunStorage> {
    const base = root ?? ((await navigator.storage.getDirectory()) as unknown as OpfsDirectory);
    const runs = await base.getDirectoryHandle(RUNS_DIR, { create: true });
    return new OpfsRunStorage(await runs.getDirectoryHandle(runId, { create: true }), `OPFS:${RUNS_DIR}/${runId}`);
  }

  /** Deletes a run's folder and everything in it (nothing to do when there is none). */
  static async remove(runId: string, root?: OpfsDirectory): Promise<void> {
    const base = root ?? ((await navigator.storage.getDirectory()) as unknown as OpfsDirectory);
    try {
      const runs = await base.getDirectoryHandle(RUNS_DIR);
      await runs.removeEntry(runId, { recursive: true });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async write(name: string, parts: readonly Uint8Array[]): Promise<void> {
    await this.writeChunks(name, parts);
  }

  /** A large file (a run's copy of its dataset) written a chunk at a time, never whole in memory. */
  async writeStream(name: string, stream: ReadableStream<Uint8Array>): Promise<void> {
    await this.writeChunks(name, streamChunks(stream));
  }

  private async writeChunks(name: string, parts: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
    const partialName = `${name}${PARTIAL}`;
    const partial = await this.dir.getFileHandle(partialName, { create: true });
    const writable = await partial.createWritable({ keepExistingData: false });
    try {
      for await (const part of parts) await writable.write(part as Uint8Array<ArrayBuffer>);
      await writable.close();
    } catch (error) {
      await writable.abort().catch(() => undefined);
      throw error;
    }
    if (partial.move) {
      try {
        await partial.move(name);
        return;
      } catch {
        // A browser whose move() will not replace an existing file: fall through to the copy below.
      }
    }
    // Without move(): OPFS commits a writable only on close(), so one whole-file write is still all-or-nothing.
    const target = await this.dir.getFileHandle(name, { create: true });
    const direct = await target.createWritable({ keepExistingData: false });
    try {
      await direct.write(new Uint8Array(await (await partial.getFile()).arrayBuffer()));
      await direct.close();
    } catch (error) {
      await direct.abort().catch(() => undefined);
      throw error;
    }
    await this.dir.removeEntry(partialName).catch(() => undefined);
  }

  async read(name: string): Promise<Uint8Array | null> {
    try {
      const file = await (await this.dir.getFileHandle(name)).getFile();
      return new Uint8Array(await file.arrayBuffer());
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** The file as a Blob (no copy into memory), or null when it does not exist. */
  async blob(name: string): Promise<Blob | null> {
    try {
      return await (await this.dir.getFileHandle(name)).getFile();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await this.dir.removeEntry(name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
