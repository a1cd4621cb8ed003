/**
 * The library's exports that need no base weights, run on the main thread: the stored PEFT folder as a .zip, and
 * the adapter as a llama.cpp GGUF LoRA. (A merged model needs the base's weights and is made in the engine worker.)
 */
import { exportGgufLora } from '../adapters/gguf-lora';
import type { LoraBaseShape } from '../adapters/lora-weights';
import { adapterFiles, type AdapterRecord, loadAdapter } from './adapter-library';
import { PROMPT_CANNOT_MERGE } from '../adapters/prompt-weights';
import { completeBaseFacts } from './base-facts';
import { zipFiles } from './zip';
import { modelCard } from '../export/model-card';
import { recordCardFacts } from './record-card';
import { getRun } from './run-history';

/** The base the studio has loaded, as far as an export needs to know it. */
export interface LoadedBase {
  name: string;
  shape: LoraBaseShape;
}

/**
 * The stored adapter_config.json + adapter_model.safetensors (the bytes PEFT itself reads), zipped with a README.md
 * model card of the record (and of the run that trained it).
 */
export async function peftZip(record: AdapterRecord): Promise<Blob> {
  const files: Record<string, Uint8Array[]> = {};
  for (const [name, source] of await adapterFiles(record.id)) files[name] = [await source.read(0, source.size)];
  const run = record.runId ? await getRun(record.runId).catch(() => null) : null;
  files['README.md'] = [new TextEncoder().encode(modelCard({ ...recordCardFacts(record, run), artifact: 'PEFT adapter (adapter_config.json + adapter_model.safetensors)' }))];
  return new Blob([zipFiles(files) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
}

/**
 * The adapter as a GGUF LoRA. The base architecture (and head counts, for llama's q/k row order) come from the
 * adapter's own record of its base, else from the loaded base when it agrees with what is recorded.
 */
/** Whether a library adapter is a prompt-tuning one, which has neither a GGUF LoRA file nor a merged model. */
export function isPromptRecord(record: Pick<AdapterRecord, 'method'>): boolean {
  return record.method.startsWith('Prompt tuning');
}

export async function ggufLora(record: AdapterRecord, loaded: LoadedBase | null): Promise<Blob> {
  if (isPromptRecord(record)) throw new Error(`'${record.name}': ${PROMPT_CANNOT_MERGE}, and llama.cpp loads no prompt-tuning file. Export PEFT.`);
  if (record.method.startsWith('IA³')) {
    throw new Error(`'${record.name}' is an IA³ adapter: llama.cpp loads no IA³ adapter file. Export PEFT, or a merged model.`);
  }
  const adapter = await loadAdapter(record.id);
  if (adapter.config.useDora) {
    throw new Error(`'${record.name}' is a DoRA adapter: llama.cpp's LoRA files hold no DoRA magnitude. Export PEFT, or a merged model.`);
  }
  const completed = completeBaseFacts(adapter.config.base, loaded?.shape ?? null);
  if (!completed.ok) {
    throw new Error(
      `'${record.name}' does not record its base architecture, and the loaded '${loaded!.name}' is not its base ` +
        `(${completed.disagreements.join('; ')}). Load the base it was made for to export GGUF.`,
    );
  }
  if (completed.base.architecture === null) {
    throw new Error(`'${record.name}' does not record its base architecture: load its base model (${record.baseModel}) to export GGUF.`);
  }
  const parts = exportGgufLora({ ...adapter, config: { ...adapter.config, base: completed.base } }, { name: record.name });
  return new Blob(parts as Uint8Array<ArrayBuffer>[], { type: 'application/octet-stream' });
}
