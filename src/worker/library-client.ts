/**
 * The main thread's handle on the worker's 'library-' requests, built on EngineClient.request. A 'library-failed'
 * reply rejects with LibraryRequestError carrying the typed problem.
 */
import type { EngineClient } from './client';
import type { LibraryProblem } from './library-protocol';
import type { AdapterRecord } from '../library/adapter-library';
import type { FolderFile } from './protocol';

export class LibraryRequestError extends Error {
  constructor(readonly problem: LibraryProblem) {
    super(problem.message);
    this.name = 'LibraryRequestError';
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; problem: LibraryProblem };

async function settled<T>(pending: Promise<Settled<T>>): Promise<T> {
  const result = await pending;
  if (!result.ok) throw new LibraryRequestError(result.problem);
  return result.value;
}

/** Imports an adapter into the library (checked against the loaded base, if any); resolves with its new record. */
export function importAdapterFiles(client: EngineClient, label: string, files: FolderFile[]): Promise<AdapterRecord> {
  return settled(
    client.request<Settled<AdapterRecord>>({ kind: 'library-import', id: client.newId(), label, files }, (reply) =>
      reply.kind === 'library-imported'
        ? { ok: true, value: reply.record }
        : reply.kind === 'library-failed'
          ? { ok: false, problem: reply.problem }
          : undefined,
    ),
  );
}

/** The loaded base with the adapter folded in, as safetensors bytes. */
export function mergeAdapter(client: EngineClient, adapterId: string): Promise<Blob> {
  return settled(
    client.request<Settled<Blob>>({ kind: 'library-merge', id: client.newId(), adapterId }, (reply) =>
      reply.kind === 'library-merged'
        ? { ok: true, value: reply.file }
        : reply.kind === 'library-failed'
          ? { ok: false, problem: reply.problem }
          : undefined,
    ),
  );
}
