/**
 * Node-only byte sources (CLI, tests, benchmarks): files are read through one FileHandle with positional reads,
 * never loaded whole.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ModelFormatError } from './errors';
import { checkRange, type ByteSource } from './source';

export async function fileSource(path: string): Promise<ByteSource> {
  const name = basename(path);
  const handle = await open(path, 'r').catch((e: Error) => {
    throw new ModelFormatError(name, `cannot open ${path} (${e.message})`);
  });
  const { size } = await handle.stat();
  return {
    name,
    size,
    async read(offset, length) {
      checkRange(name, size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      // A positional read may return fewer bytes than asked (large reads, some file systems): loop until full.
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new ModelFormatError(name, `file shrank while reading at offset ${offset + done}`);
        done += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
}

/** The top-level regular files of a directory as `name → ByteSource`, the shape `readHfFolder` takes. */
export async function folderSources(dir: string): Promise<Map<string, ByteSource>> {
  const files = new Map<string, ByteSource>();
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry);
    if ((await stat(path)).isFile()) files.set(entry, await fileSource(path));
  }
  return files;
}

/** Closes every source of a folder map that holds a handle. */
export async function closeSources(files: Iterable<ByteSource>): Promise<void> {
  for (const f of files) await f.close?.();
}
