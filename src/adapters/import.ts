/**
 * One entry point for "the user gave us an adapter": a PEFT folder (adapter_config.json + adapter_model.safetensors)
 * or a llama.cpp GGUF LoRA, told apart by the files given. Works in the browser (dropped files) and in Node.
 */
import { ModelFormatError } from '../model/errors';
import { topLevelFiles } from '../model/hf/folder';
import { readJson, type ByteSource } from '../model/source';
import { importGgufLora } from './gguf-lora';
import type { ModelConfig } from '../model/config';
import { adaptToBase } from './fit';
import { type AnyAdapter, isIa3Adapter, isPromptAdapter } from './any-adapter';
import type { LoraAdapter } from './lora-weights';
import { ia3OnBase, importPeftIa3 } from './peft-ia3';
import { importPeftPrompt } from './peft-prompt';
import { promptOnBase } from './prompt-weights';
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
 * Reads a LoRA adapter or, for a PEFT folder whose peft_type is IA3 or PROMPT_TUNING, an IA³ or prompt-tuning one
 * (the CLI's generate and eval, and the library's adapters).
 */
export async function importAnyAdapter(
  files: ReadonlyMap<string, ByteSource>,
  label: string,
  options: AdapterImportOptions = {},
): Promise<{ adapter: AnyAdapter; format: AdapterFormat }> {
  const found = detectAdapterFormat(files, label);
  if (found.format === 'peft') {
    const config = await readJson(topLevelFiles(files).get(PEFT_CONFIG_FILE)!);
    const type = (config as { peft_type?: unknown } | null)?.peft_type;
    if (type === 'IA3') return { adapter: await importPeftIa3(files, options), format: 'peft' };
    if (type === 'PROMPT_TUNING') return { adapter: await importPeftPrompt(files, options), format: 'peft' };
  }
  return importAdapter(files, label, options);
}

/** Checks an adapter of any kind against a loaded base and puts it in the base's q/k layout where that matters. */
export function fitAnyAdapter(adapter: AnyAdapter, config: ModelConfig, name: string): AnyAdapter {
  if (isPromptAdapter(adapter)) return promptOnBase(adapter, config, name);
  return isIa3Adapter(adapter) ? ia3OnBase(adapter, config, name) : adaptToBase(adapter, config, name);
}
