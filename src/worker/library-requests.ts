/**
 * The engine worker's handlers of the library requests (LibraryRequests in library-protocol.ts): imports checked
 * against the loaded base, and merged-model exports from the base's weights. Each fails with a LibraryProblem.
 */
import { AdapterMismatchError } from '../adapters/fit';
import { addAdapter, getAdapterRecord, loadAnyAdapter } from '../library/adapter-library';
import { AdapterUploadError, readUploadedAdapter } from '../library/adapter-upload';
import { exportMerged } from '../export/export-merged';
import type { MergedFormat } from '../export/formats';
import { recordCardFacts } from '../library/record-card';
import { getRun } from '../library/run-history';
import { zipFiles } from '../library/zip';
import { ModelFormatError } from '../model/errors';
import { blobSource } from '../model/source';
import type { RequestHandlers, WorkerServices } from './domains';
import { EngineError, failingWith } from './engine-error';
import type { LibraryImportRequest, LibraryProblem, LibraryRequests, MergedDownload } from './library-protocol';
import type { AdapterRecord } from '../library/adapter-library';

function libraryProblemOf(error: unknown): LibraryProblem {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof AdapterUploadError) return { kind: error.problem, message };
  if (error instanceof AdapterMismatchError) return { kind: 'wrong-base', message };
  if (error instanceof ModelFormatError) return { kind: 'bad-file', message };
  // IndexedDB and OPFS fail with DOMExceptions (quota, a private window without storage).
  if (error instanceof DOMException) return { kind: 'storage', message: `The browser refused to store the adapter: ${message}` };
  return { kind: 'internal', message: error instanceof Error ? `${error.name}: ${message}` : message };
}

/** Runs `work`, turning what it throws into a failure carrying a LibraryProblem. */
function asLibraryRequest<T>(work: () => Promise<T>): Promise<T> {
  return failingWith((error) => ({ domain: 'library', ...libraryProblemOf(error) }), work);
}

function refuse(problem: LibraryProblem): never {
  throw new EngineError({ domain: 'library', ...problem });
}

async function importToLibrary(request: LibraryImportRequest, services: WorkerServices): Promise<AdapterRecord> {
  const session = services.session();
  const base = session ? { config: session.files.config, name: session.summary.name } : undefined;
  const files = request.files.map((f) => ({ path: f.path, source: blobSource(f.file, f.file.name) }));
  const { adapter, record } = await readUploadedAdapter(files, request.label, base);
  return addAdapter(record, adapter);
}

/** Bytes the browser's storage quota still leaves, or null where it does not say. */
async function storageLeft(): Promise<number | null> {
  const estimate = await navigator.storage?.estimate?.().catch(() => null);
  return estimate?.quota !== undefined && estimate.usage !== undefined ? estimate.quota - estimate.usage : null;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * The loaded base with a library adapter merged in, in `format`, as one .zip of the export's folder (the GGUF with
 * its Modelfile and card, or the Hugging Face folder). Nothing is stored: the zip is handed to the page to save.
 */
async function mergeFromLibrary(adapterId: string, format: MergedFormat, services: WorkerServices): Promise<MergedDownload> {
  const session = services.session();
  if (!session) refuse({ kind: 'no-model', message: 'Load the base model in the Playground first: merging needs its weights.' });
  const record = await getAdapterRecord(adapterId);
  if (!record) refuse({ kind: 'not-found', message: 'This adapter is no longer in the library.' });
  const name = session.summary.name;
  const adapter = await loadAnyAdapter(record.id, { base: { config: session.files.config, name } });
  const run = record.runId ? await getRun(record.runId).catch(() => null) : null;
  const made = await exportMerged({ ...session.files, name }, adapter, format, recordCardFacts(record, run));
  const bytes = Object.values(made.files).reduce((n, parts) => n + parts.reduce((m, p) => m + p.byteLength, 0), 0);
  // The zip is a second copy the browser may have to hold on disk until it is saved.
  const left = await storageLeft();
  if (left !== null && bytes > left) {
    refuse({ kind: 'storage', message: `The export is ${mib(bytes)}, but this browser's storage quota leaves ${mib(left)} free. Free some space (delete adapters or cached models) and try again.` });
  }
  return { zip: new Blob([zipFiles(made.files) as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), bytes, notes: made.notes };
}

export function libraryHandlers(services: WorkerServices): RequestHandlers<keyof LibraryRequests> {
  return {
    // After any load asked before it, so the check is against the base the user sees as loaded.
    'library-import': (request) => services.exclusive(() => asLibraryRequest(() => importToLibrary(request, services))),
    // The base's files must not be closed by a load while they are read.
    'library-merge': (request) => services.exclusive(() => asLibraryRequest(() => mergeFromLibrary(request.adapterId, request.format, services))),
  };
}
