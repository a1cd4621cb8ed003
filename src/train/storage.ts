/**
 * Where a run keeps its files (checkpoints, best adapter, exported adapters), behind a small interface so the
 * same loop runs in Node (a folder, storage-node.ts) and in a browser worker (OPFS, later).
 *
 * `write` must be atomic per file: a reader sees either the old complete file or the new complete file, never
 * half of one, so a crash or a lost device mid-write keeps the last good checkpoint.
 */
export interface RunStorage {
  /** Human-readable place, for messages ("/runs/a", "OPFS:runs/a"). */
  readonly where: string;
  write(name: string, parts: readonly Uint8Array[]): Promise<void>;
  /** The file's bytes, or null when it does not exist. */
  read(name: string): Promise<Uint8Array | null>;
  remove(name: string): Promise<void>;
}

/** Files in memory: for tests and for runs that keep nothing. */
export class MemoryStorage implements RunStorage {
  readonly where = 'memory';
  readonly files = new Map<string, Uint8Array>();

  async write(name: string, parts: readonly Uint8Array[]): Promise<void> {
    this.files.set(name, concatBytes(parts));
  }

  async read(name: string): Promise<Uint8Array | null> {
    return this.files.get(name) ?? null;
  }

  async remove(name: string): Promise<void> {
    this.files.delete(name);
  }
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
