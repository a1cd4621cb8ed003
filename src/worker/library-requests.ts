/**
 * The engine worker's handler for 'library-' messages (see domains.ts): imports checked against the loaded base,
 * and merged-model exports from the base's weights. Each request answers with its own reply or 'library-failed'.
 */
import { AdapterMismatchError } from '../adapters/fit';
import { addAdapter, getAdapterRecord, loadAdapter } from '../library/adapter-library';
import { AdapterUploadError, readUploadedAdapter } from '../library/adapter-upload';
import { mergedModelSafetensors } from '../library/merged-model';
import { ModelFormatError } from '../model/errors';
import { blobSource } from '../model/source';
import type { DomainHandler, WorkerServices } from './domains';
import type { LibraryImportRequest, LibraryMergeRequest, LibraryProblem } from './library-protocol';

function libraryProblemOf(error: unknown): LibraryProblem {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof AdapterUploadError) return { kind: error.problem, message };
  if (error instanceof AdapterMismatchError) return { kind: 'wrong-base', message };
  if (error instanceof ModelFormatError) return { kind: 'bad-file', message };
  // IndexedDB and OPFS fail with DOMExceptions (quota, a private window without storage).
  if (error instanceof DOMException) return { kind: 'storage', message: `The browser refused to store the adapter: ${message}` };
  return { kind: 'internal', message: error instanceof Error ? `${error.name}: ${message}` : message };
}

async function importToLibrary(request: LibraryImportRequest, services: WorkerServices): Promise<void> {
  try {
    const session = services.session();
    const base = session ? { config: session.files.config, name: session.summary.name } : undefined;
    const files = request.files.map((f) => ({ path: f.path, source: blobSource(f.file, f.file.name) }));
    const { adapter, record } = await readUploadedAdapter(files, request.label, base);
    services.post({ kind: 'library-imported', id: request.id, record: await addAdapter(record, adapter) });
  } catch (error) {
    services.post({ kind: 'library-failed', id: request.id, problem: libraryProblemOf(error) });
  }
}

async function mergeFromLibrary(request: LibraryMergeRequest, services: WorkerServices): Promise<void> {
  try {
    const session = services.session();
    if (!session) {
      const problem: LibraryProblem = { kind: 'no-model', message: 'Load the base model in the Playground first: merging needs its weights.' };
      services.post({ kind: 'library-failed', id: request.id, problem });
      return;
    }
    const record = await getAdapterRecord(request.adapterId);
    if (!record) {
      services.post({ kind: 'library-failed', id: request.id, problem: { kind: 'not-found', message: 'This adapter is no longer in the library.' } });
      return;
    }
    const { config, weights } = session.files;
    const name = session.summary.name;
    const adapter = await loadAdapter(record.id, { base: { config, name } });
    const parts = await mergedModelSafetensors(config, weights, adapter, { baseName: name, adapterName: record.name });
    services.post({ kind: 'library-merged', id: request.id, file: new Blob(parts as Uint8Array<ArrayBuffer>[]) });
  } catch (error) {
    services.post({ kind: 'library-failed', id: request.id, problem: libraryProblemOf(error) });
  }
}

export const libraryDomain: DomainHandler = {
  prefix: 'library-',
  async handle(message, services) {
    switch (message.kind) {
      case 'library-import':
        // After any load asked before it, so the check is against the base the user sees as loaded.
        return services.exclusive(() => importToLibrary(message, services));
      case 'library-merge':
        // The base's files must not be closed by a load while they are read.
        return services.exclusive(() => mergeFromLibrary(message, services));
    }
  },
};
