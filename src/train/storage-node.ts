/** RunStorage on a Node folder. Writes go to `<name>.partial` and are renamed into place (atomic on POSIX). */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunStorage } from './storage';

export class FolderStorage implements RunStorage {
  constructor(readonly where: string) {}

  async write(name: string, parts: readonly Uint8Array[]): Promise<void> {
    await mkdir(this.where, { recursive: true });
    const target = join(this.where, name);
    const partial = `${target}.partial`;
    const handle = await open(partial, 'w');
    try {
      for (const p of parts) await handle.write(p);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(partial, target);
  }

  async read(name: string): Promise<Uint8Array | null> {
    try {
      const b = await readFile(join(this.where, name));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.where, name), { force: true });
  }
}
