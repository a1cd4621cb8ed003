/**
 * Node (CLI `train --out`): writes an adapter as the files other tools load — adapter_config.json and
 * adapter_model.safetensors (Hugging Face PEFT) and adapter.gguf (llama.cpp `--lora`) — into one folder. A DoRA,
 * IA³ or prompt-tuning adapter is written as PEFT's files only: llama.cpp loads none of them (DoRA's and IA³'s
 * route is a merged model; a prompt cannot be merged).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { concatBytes } from '../model/source';
import { exportGgufLora } from './gguf-lora';
import type { LoraAdapter } from './lora-weights';
import type { Ia3Adapter } from './ia3-weights';
import { exportPeft } from './peft';
import { exportPeftIa3 } from './peft-ia3';
import { exportPeftPrompt } from './peft-prompt';
import type { PromptAdapter } from './prompt-weights';

export const GGUF_ADAPTER_FILE = 'adapter.gguf';

/** Returns the paths written. `formats` defaults to both (PEFT only for DoRA). */
export async function writeAdapterFolder(
  dir: string,
  adapter: LoraAdapter,
  formats: readonly ('peft' | 'gguf')[] = adapter.config.useDora ? ['peft'] : ['peft', 'gguf'],
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, Uint8Array[]][] = [];
  if (formats.includes('peft')) files.push(...Object.entries(exportPeft(adapter)));
  if (formats.includes('gguf')) files.push([GGUF_ADAPTER_FILE, exportGgufLora(adapter)]);
  return writeFiles(dir, files);
}

/** PEFT's IA³ folder (q/k vectors in HF row order, which needs the base's head counts). Returns the paths written. */
export async function writeIa3AdapterFolder(dir: string, adapter: Ia3Adapter, heads: { numHeads: number; numKvHeads: number }): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return writeFiles(dir, Object.entries(exportPeftIa3(adapter, heads)));
}

/** PEFT's prompt-tuning folder. Returns the paths written. */
export async function writePromptAdapterFolder(dir: string, adapter: PromptAdapter): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return writeFiles(dir, Object.entries(exportPeftPrompt(adapter)));
}

async function writeFiles(dir: string, files: [string, Uint8Array[]][]): Promise<string[]> {
  const written: string[] = [];
  for (const [name, parts] of files) {
    const path = join(dir, name);
    await writeFile(path, concatBytes(parts));
    written.push(path);
  }
  return written;
}
