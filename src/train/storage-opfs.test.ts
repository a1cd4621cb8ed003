import { describe, expect, it } from 'vitest';
import { OpfsRunStorage, type OpfsDirectory, type OpfsFile, type OpfsWritable } from './storage-opfs';

function notFound(name: string): Error {
  const error = new Error(`${name} not found`);
  error.name = 'NotFoundError';
  return error;
}

/** An in-memory OPFS folder: writables commit on close (as OPFS does); `failAfter` makes a write throw midway. */
class MemoryDir implements OpfsDirectory {
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Map<string, MemoryDir>();
  failAfter: number | null = null;
  moves = 0;

  async getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<OpfsDirectory> {
    let dir = this.dirs.get(name);
    if (!dir) {
      if (!options?.create) throw notFound(name);
      dir = new MemoryDir();
      this.dirs.set(name, dir);
    }
    return dir;
  }

  async getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFile> {
    if (!this.files.has(name)) {
      if (!options?.create) throw notFound(name);
      this.files.set(name, new Uint8Array(0));
    }
    let current = name;
    const dir = this;
    return {
      getFile: async () => new Blob([(dir.files.get(current) ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>]),
      createWritable: async (): Promise<OpfsWritable> => {
        const chunks: Uint8Array[] = [];
        return {
          write: async (data) => {
            if (dir.failAfter !== null && chunks.length >= dir.failAfter) throw new Error('disk full');
            chunks.push(data.slice());
          },
          close: async () => {
            const all = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
            let at = 0;
            for (const c of chunks) {
              all.set(c, at);
              at += c.length;
            }
            dir.files.set(current, all);
          },
          abort: async () => undefined,
        };
      },
      move: async (to: string) => {
        dir.moves++;
        dir.files.set(to, dir.files.get(current)!);
        dir.files.delete(current);
        current = to;
      },
    };
  }

  async removeEntry(name: string, options?: { recursive?: boolean }): Promise<void> {
    if (this.files.delete(name)) return;
    if (this.dirs.has(name) && options?.recursive) {
      this.dirs.delete(name);
      return;
    }
    throw notFound(name);
  }
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe('OpfsRunStorage', () => {
  it('writes through a partial file moved into place, and reads it back whole', async () => {
    const root = new MemoryDir();
    const storage = await OpfsRunStorage.open('r1', root);
    expect(storage.where).toBe('OPFS:runs/r1');
    expect(await storage.read('checkpoint.wtck')).toBeNull();
    await storage.write('checkpoint.wtck', [bytes(1, 2), bytes(3)]);
    const dir = root.dirs.get('runs')!.dirs.get('r1')!;
    expect([...dir.files.keys()]).toEqual(['checkpoint.wtck']);
    expect(dir.moves).toBe(1);
    expect(await storage.read('checkpoint.wtck')).toEqual(bytes(1, 2, 3));
    await storage.write('checkpoint.wtck', [bytes(9)]);
    expect(await storage.read('checkpoint.wtck')).toEqual(bytes(9));
  });

  it('keeps the last complete file when a write fails midway', async () => {
    const root = new MemoryDir();
    const storage = await OpfsRunStorage.open('r2', root);
    await storage.write('checkpoint.wtck', [bytes(1, 2, 3)]);
    root.dirs.get('runs')!.dirs.get('r2')!.failAfter = 1;
    await expect(storage.write('checkpoint.wtck', [bytes(7), bytes(8)])).rejects.toThrow('disk full');
    expect(await storage.read('checkpoint.wtck')).toEqual(bytes(1, 2, 3));
  });

  it('removes files and whole runs, and is quiet about what is not there', async () => {
    const root = new MemoryDir();
    const storage = await OpfsRunStorage.open('r3', root);
    await storage.write('a', [bytes(1)]);
    await storage.remove('a');
    await storage.remove('a');
    expect(await storage.read('a')).toBeNull();
    expect(await storage.blob('a')).toBeNull();
    await OpfsRunStorage.remove('r3', root);
    expect(root.dirs.get('runs')!.dirs.has('r3')).toBe(false);
    await OpfsRunStorage.remove('never', root);
  });
});
