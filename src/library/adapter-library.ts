/**
 * The adapter library: every trained or imported LoRA adapter the studio keeps, on this machine only. Each entry is
 * a record in IndexedDB (what the library lists) plus the adapter itself as a PEFT folder in OPFS
 * (`adapters/<id>/adapter_config.json` + `adapter_model.safetensors`), so the bytes are the same ones an export
 * hands out. Works in the page and in the engine worker (both have IndexedDB and OPFS).
 *
 * Writes are ordered so a failure never leaves half an entry listed: files first, then the record; delete removes
 * the record first, then the files.
 */
import { type AnyAdapter, isIa3Adapter, isPromptAdapter } from '../adapters/any-adapter';
import { importAnyAdapter } from '../adapters/import';
import type { LoraAdapter } from '../adapters/lora-weights';
import { exportPeft, importPeft } from '../adapters/peft';
import { exportPeftIa3 } from '../adapters/peft-ia3';
import { exportPeftPrompt } from '../adapters/peft-prompt';
import { blobSource, type ByteSource } from '../model/source';
import { recordStore } from './record-store';

export interface AdapterRecord {
  id: string;
  name: string;
  /** The base model's name as the studio showed it (and PEFT's base_model_name_or_path). */
  baseModel: string;
  /** 'LoRA', 'QLoRA (NF4)', 'DoRA', 'IA³', 'Prompt tuning' … as trained; 'imported (PEFT)' / 'imported (GGUF)' for LoRA imports, the method first for others ('IA³ (imported PEFT)'). */
  method: string;
  rank: number;
  alpha: number;
  targets: string[];
  /** The dataset's file name, when trained here. */
  dataset: string | null;
  /** Best (or final) validation loss of the run, when trained here. */
  valLoss: number | null;
  createdAt: number;
  source: 'trained' | 'imported';
  /** Bytes of the stored PEFT files. */
  bytes: number;
  /** The training run that made it (run-history id), if any. */
  runId?: string;
}

export type NewAdapterRecord = Omit<AdapterRecord, 'id' | 'createdAt' | 'bytes'>;

const records = recordStore<AdapterRecord>('webtune-adapters', 'adapters');
const ADAPTERS_DIR = 'adapters';

async function adapterDir(id: string, create: boolean): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  const all = await root.getDirectoryHandle(ADAPTERS_DIR, { create });
  return all.getDirectoryHandle(id, { create });
}

/**
 * Every change to the library is announced on this channel, so a view in the page hears of adapters the engine
 * worker stored (training, imports) and of changes made in another tab. A channel object never hears its own
 * messages, hence one for sending and one per listener.
 */
const CHANGES_CHANNEL = 'webtune-adapter-library';
let sender: BroadcastChannel | null = null;

function announceChange(): void {
  if (typeof BroadcastChannel === 'undefined') return;
  sender ??= new BroadcastChannel(CHANGES_CHANNEL);
  sender.postMessage('changed');
}

/** Calls `listener` after any context (page, worker, another tab) adds, renames or deletes an adapter. */
export function onLibraryChanged(listener: () => void): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => {};
  const channel = new BroadcastChannel(CHANGES_CHANNEL);
  channel.onmessage = () => listener();
  return () => channel.close();
}

function newId(): string {
  return `a-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Stores the adapter's PEFT files (LoRA, IA³ or prompt tuning), then lists it. Returns the new record. */
export async function addAdapter(meta: NewAdapterRecord, adapter: AnyAdapter): Promise<AdapterRecord> {
  const id = newId();
  const { base } = adapter.config;
  const files = isPromptAdapter(adapter)
    ? exportPeftPrompt(adapter)
    : isIa3Adapter(adapter)
      ? exportPeftIa3(adapter, { numHeads: base.numHeads ?? 0, numKvHeads: base.numKvHeads ?? 0 })
      : exportPeft(adapter);
  let bytes = 0;
  try {
    const dir = await adapterDir(id, true);
    for (const [name, parts] of Object.entries(files)) {
      const handle = await dir.getFileHandle(name, { create: true });
      const writable = await handle.createWritable();
      for (const part of parts) {
        await writable.write(part as Uint8Array<ArrayBuffer>);
        bytes += part.byteLength;
      }
      await writable.close();
    }
  } catch (error) {
    await removeFiles(id);
    throw error;
  }
  const record: AdapterRecord = { ...meta, id, createdAt: Date.now(), bytes };
  await records.put(record);
  announceChange();
  return record;
}

/** Every adapter, newest first. */
export async function listAdapters(): Promise<AdapterRecord[]> {
  return (await records.getAll()).reverse();
}

export async function getAdapterRecord(id: string): Promise<AdapterRecord | null> {
  return (await records.get(id)) ?? null;
}

/** The stored PEFT files of an adapter (name → source), e.g. to export them or import them onto a base. */
export async function adapterFiles(id: string): Promise<Map<string, ByteSource>> {
  const dir = await adapterDir(id, false);
  const files = new Map<string, ByteSource>();
  for await (const [name, handle] of dir.entries()) {
    if (handle.kind === 'file') files.set(name, blobSource(await (handle as FileSystemFileHandle).getFile(), name));
  }
  return files;
}

/** The adapter's weights; with `base`, checked to fit it and put in its q/k row layout (see importPeft). */
export async function loadAdapter(id: string, options: Parameters<typeof importPeft>[1] = {}): Promise<LoraAdapter> {
  return importPeft(await adapterFiles(id), options);
}

/** A LoRA or IA³ adapter of the library (Compare takes either), fitted to `base` when given. */
export async function loadAnyAdapter(id: string, options: Parameters<typeof importPeft>[1] = {}): Promise<AnyAdapter> {
  return (await importAnyAdapter(await adapterFiles(id), id, options)).adapter;
}

export async function renameAdapter(id: string, name: string): Promise<AdapterRecord> {
  const record = await records.get(id);
  if (!record) throw new Error(`No adapter '${id}' in the library.`);
  const renamed = { ...record, name };
  await records.put(renamed);
  announceChange();
  return renamed;
}

export async function deleteAdapter(id: string): Promise<void> {
  await records.delete(id);
  await removeFiles(id);
  announceChange();
}

async function removeFiles(id: string): Promise<void> {
  try {
    const root = await navigator.storage.getDirectory();
    const all = await root.getDirectoryHandle(ADAPTERS_DIR);
    await all.removeEntry(id, { recursive: true });
  } catch {
    // Nothing stored under that id: nothing to remove.
  }
}
