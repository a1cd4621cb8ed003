/**
 * The Adapters view's actions: the one place where the library (IndexedDB + OPFS) and the engine's 'library-'
 * requests reach the store. Every failure becomes a ShownProblem in the store, next to what failed; nothing here
 * rejects.
 */
import type { LoraBaseShape } from '../../adapters/lora-weights';
import { formatLabel, type MergedFormat } from '../../export/formats';
import { ARCHITECTURES } from '../../model/config';
import { deleteAdapter, listAdapters, renameAdapter, type AdapterRecord } from '../../library/adapter-library';
import { ggufLora, type LoadedBase, peftZip } from '../../library/adapter-exports';
import { engineProblem } from '../../worker/client';
import type { LibraryProblemKind } from '../../worker/library-protocol';
import type { FolderFile } from '../../worker/protocol';
import { engineClient } from '../engineBridge';
import { filesFromDrop } from '../playground/model-files';
import type { AdapterTask } from '../stores/adaptersSlice';
import type { ShownProblem } from '../stores/playgroundSlice';
import { useStudio } from '../stores/studio';
import { downloadBlob } from './download';
import { exportFileName, mergedFileName } from './file-names';
import { parseAdapterName } from './rename';
import { uploadLabel } from './upload-label';

const TITLES: Record<LibraryProblemKind, string> = {
  'bad-file': 'This is not an adapter webtune can read',
  'wrong-base': 'This adapter is for another base model',
  'no-model': 'No base model is loaded',
  'not-found': 'The adapter is no longer in the library',
  storage: 'The browser could not store the adapter',
  internal: 'Something went wrong in the library',
};

function shown(error: unknown, fallbackTitle: string): ShownProblem {
  const library = engineProblem(error, 'library');
  if (library) return { title: TITLES[library.kind], message: library.message };
  const device = engineProblem(error, 'device');
  if (device) return { title: 'The engine is not running', message: `${device.message} (see Device)` };
  return { title: fallbackTitle, message: error instanceof Error ? error.message : String(error) };
}

/** The latest listing asked for; an older one that answers later is dropped (it may predate a change). */
let listTicket = 0;

/** Reads the library's records into the store (on opening the view, and after changes made elsewhere). */
export async function refreshAdapters(): Promise<void> {
  const ticket = ++listTicket;
  try {
    const records = await listAdapters();
    if (ticket === listTicket) useStudio.getState().adaptersListed(records);
  } catch (error) {
    if (ticket === listTicket) useStudio.getState().adaptersListFailed(shown(error, 'The adapter library could not be read'));
  }
}

/** Imports what the user picked or dropped; the worker checks it against the loaded base and stores it. */
export async function importUpload(files: FolderFile[]): Promise<void> {
  const store = useStudio.getState();
  const label = uploadLabel(files);
  const client = engineClient();
  if (!client) {
    store.adapterImportFailed(label, { title: 'The engine is not running', message: 'The engine worker did not start (see Device).' });
    return;
  }
  store.adapterImportStarted(label);
  try {
    useStudio.getState().adapterImported(await client.call('library-import', { label, files }));
  } catch (error) {
    useStudio.getState().adapterImportFailed(label, shown(error, TITLES.internal));
  }
}

/**
 * Imports what was dropped: folders are walked through their directory entries. The DataTransfer must be read
 * before the drop handler returns, which filesFromDrop does before its first await.
 */
export async function importDrop(transfer: DataTransfer): Promise<void> {
  let files: FolderFile[];
  try {
    files = await filesFromDrop(transfer);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    useStudio.getState().adapterImportFailed('dropped files', { title: 'The dropped files could not be read', message });
    return;
  }
  if (files.length) await importUpload(files);
}

/** The loaded base's facts, for exports that must know the architecture; null while none is loaded. */
function loadedBase(): LoadedBase | null {
  const model = useStudio.getState().model;
  if (model.status !== 'ready') return null;
  const s = model.summary;
  const architecture = ARCHITECTURES.find((a) => a === s.architecture) ?? null;
  const shape: LoraBaseShape = {
    architecture,
    hiddenSize: s.hiddenSize,
    intermediateSize: s.intermediateSize,
    numLayers: s.layers,
    numHeads: s.heads,
    numKvHeads: s.kvHeads,
    headDim: s.headDim,
    vocabSize: s.vocabSize,
  };
  return { name: s.name, shape };
}

async function runTask(record: AdapterRecord, task: AdapterTask, work: () => Promise<string | null | void>, failTitle: string): Promise<void> {
  const store = useStudio.getState();
  if (store.adapterRows[record.id]?.busy) return;
  store.adapterTaskStarted(record.id, task);
  try {
    const notice = await work();
    useStudio.getState().adapterTaskDone(record.id, notice ?? null);
  } catch (error) {
    useStudio.getState().adapterTaskFailed(record.id, shown(error, failTitle));
  }
}

export function exportAdapter(record: AdapterRecord, kind: 'peft' | 'gguf'): Promise<void> {
  const titles = { peft: 'PEFT export failed', gguf: 'GGUF export failed' };
  return runTask(
    record,
    kind,
    async () => {
      const blob = kind === 'peft' ? await peftZip(record) : await ggufLora(record, loadedBase());
      downloadBlob(blob, exportFileName(record.name, kind));
    },
    titles[kind],
  );
}

/** The loaded base with the adapter merged in, in `format`, saved as the export folder's .zip; its notes stay in the row. */
export function exportMergedAdapter(record: AdapterRecord, format: MergedFormat): Promise<void> {
  return runTask(
    record,
    'merged',
    async () => {
      const client = engineClient();
      if (!client) throw new Error('The engine worker did not start (see Device).');
      const made = await client.call('library-merge', { adapterId: record.id, format });
      downloadBlob(made.zip, mergedFileName(record.name, format));
      return `Merged: ${formatLabel(format)}, ${(made.bytes / 2 ** 20).toFixed(2)} MiB, with ${format.kind === 'gguf' ? 'its Ollama Modelfile and model card' : 'its config, tokenizer and model card'}.${made.notes.length ? ` ${made.notes.join('; ')}.` : ''}`;
    },
    'Merged export failed',
  );
}

/** Renames the adapter; returns the field's message when the name is not usable (nothing is changed then). */
export async function renameTo(record: AdapterRecord, input: string): Promise<string | null> {
  const parsed = parseAdapterName(input);
  if (!parsed.ok) return parsed.message;
  if (parsed.name === record.name) return null;
  await runTask(
    record,
    'rename',
    async () => {
      useStudio.getState().adapterRenamed(await renameAdapter(record.id, parsed.name));
    },
    'Renaming failed',
  );
  return null;
}

export function removeAdapter(record: AdapterRecord): Promise<void> {
  return runTask(
    record,
    'delete',
    async () => {
      await deleteAdapter(record.id);
      useStudio.getState().adapterDeleted(record.id);
    },
    'Deleting failed',
  );
}
