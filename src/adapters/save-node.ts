/**
 * Node (CLI `train --out`): writes an adapter as the files other tools load — adapter_config.json and
 * adapter_model.safetensors (Hugging Face PEFT) and adapter.gguf (llama.cpp `--lora`) — into one folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { concatBytes } from '../model/source';
import { exportGgufLora } from './gguf-lora';
import type { LoraAdapter } from './lora-weights';
import { exportPeft } from './peft';

export const GGUF_ADAPTER_FILE = 'adapter.gguf';

/** Returns the paths written. `formats` defaults to both. */
export async function writeAdapterFolder(
  dir: string,
  adapter: LoraAdapter,
  formats: readonly ('peft' | 'gguf')[] = ['peft', 'gguf'],
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, Uint8Array[]][] = [];
  if (formats.includes('peft')) files.push(...Object.entries(exportPeft(adapter)));
  if (formats.includes('gguf')) files.push([GGUF_ADAPTER_FILE, exportGgufLora(adapter)]);
  const written: string[] = [];
  for (const [name, parts] of files) {
    const path = join(dir, name);
    await writeFile(path, concatBytes(parts));
    written.push(path);
  }
  return written;
}
