/**
 * One entry point for "the user gave us an adapter": a PEFT folder (adapter_config.json + adapter_model.safetensors)
 * or a llama.cpp GGUF LoRA, told apart by the files given. Works in the browser (dropped files) and in Node.
 */
import { ModelFormatError } from '../model/errors';
import { topLevelFiles } from '../model/hf/folder';
import { readJson, type ByteSource } from '../model/source';
import { importGgufLora } from './gguf-lora';
import type { Ia3Adapter } from './ia3-weights';
import type { LoraAdapter } from './lora-weights';
import { importPeftIa3 } from './peft-ia3';
import { type AdapterImportOptions, importPeft, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from './peft';

export type AdapterFormat = 'peft' | 'gguf';

/** Which format a set of files holds, or a ModelFormatError saying what was expected. */
export function detectAdapterFormat(files: ReadonlyMap<string, ByteSource>, label: string): { format: AdapterFormat; gguf?: ByteSource } {
  const top = topLevelFiles(files);
  if (top.has(PEFT_CONFIG_FILE)) return { format: 'peft' };
  const ggufs = [...top].filter(([name]) => name.toLowerCase().endsWith('.gguf'));
  if (ggufs.length === 1) return { format: 'gguf', gguf: ggufs[0][1] };
  if (ggufs.length > 1) {
    throw new ModelFormatError(label, `holds ${ggufs.length} GGUF files (${ggufs.map(([n]) => n).join(', ')}); give the adapter file itself`);
  }
  const hint = top.has(PEFT_WEIGHTS_FILE) ? `${PEFT_WEIGHTS_FILE} without ${PEFT_CONFIG_FILE}` : `files ${[...top.keys()].join(', ') || '(none)'}`;
  throw new ModelFormatError(label, `is not a LoRA adapter: expected ${PEFT_CONFIG_FILE} + ${PEFT_WEIGHTS_FILE} (PEFT) or an adapter .gguf, found ${hint}`);
}

/** Reads the adapter; with `options.base` it is checked to fit that base and put in its q/k row layout. */
export async function importAdapter(
  files: ReadonlyMap<string, ByteSource>,
  label: string,
  options: AdapterImportOptions = {},
): Promise<{ adapter: LoraAdapter; format: AdapterFormat }> {
  const found = detectAdapterFormat(files, label);
  if (found.format === 'gguf') return { adapter: await importGgufLora(found.gguf!, options), format: 'gguf' };
  return { adapter: await importPeft(files, options), format: 'peft' };
}

/**
 * Reads a LoRA adapter or, for a PEFT folder whose peft_type is IA3, an IA³ one (the CLI's generate and eval;
 * the studio's library keeps LoRA only and calls importAdapter).
 */
export async function importAnyAdapter(
  files: ReadonlyMap<string, ByteSource>,
  label: string,
  options: AdapterImportOptions = {},
): Promise<{ adapter: LoraAdapter | Ia3Adapter; format: AdapterFormat }> {
  const found = detectAdapterFormat(files, label);
  if (found.format === 'peft') {
    const config = await readJson(topLevelFiles(files).get(PEFT_CONFIG_FILE)!);
    if ((config as { peft_type?: unknown } | null)?.peft_type === 'IA3') return { adapter: await importPeftIa3(files, options), format: 'peft' };
  }
  return importAdapter(files, label, options);
}
