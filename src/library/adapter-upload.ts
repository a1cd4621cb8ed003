/**
 * What the user gave the Adapters view (a PEFT folder, a .zip of one, or a GGUF LoRA file) read into an adapter
 * and the library record it will get, or an AdapterUploadError saying specifically what is wrong. Nothing is
 * stored here: the caller adds the adapter to the library only once this has succeeded, so a bad file leaves no
 * trace. Runs in the engine worker (where the loaded base's config is) and in Node tests.
 */
import { AdapterMismatchError } from '../adapters/fit';
import { type AnyAdapter, isIa3Adapter, isPromptAdapter } from '../adapters/any-adapter';
import { type AdapterFormat, importAnyAdapter } from '../adapters/import';
import { withRowLayout } from '../adapters/lora-weights';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../adapters/peft';
import type { ModelConfig } from '../model/config';
import { ModelFormatError } from '../model/errors';
import { topLevelFiles } from '../model/hf/folder';
import type { ByteSource } from '../model/source';
import { expectedTensors } from '../model/tensor-map';
import type { NewAdapterRecord } from './adapter-library';
import { DEFAULT_ZIP_LIMITS, looksLikeZip, unzipFiles, type ZipLimits } from './zip';

/** 'bad-file': not an adapter we can read; 'wrong-base': an adapter, but for another model than the loaded one. */
export type AdapterUploadProblem = 'bad-file' | 'wrong-base';

export class AdapterUploadError extends Error {
  constructor(
    readonly problem: AdapterUploadProblem,
    message: string,
  ) {
    super(message);
    this.name = 'AdapterUploadError';
  }
}

export interface UploadedFile {
  /** The path inside the dropped folder ("my-adapter/adapter_config.json"), or the file's name. */
  path: string;
  source: ByteSource;
}

export interface ReadAdapter {
  adapter: AnyAdapter;
  format: AdapterFormat;
  record: NewAdapterRecord;
}

const WANTED = `a PEFT adapter folder (${PEFT_CONFIG_FILE} + ${PEFT_WEIGHTS_FILE}), a .zip of one, or a GGUF LoRA file`;

const bad = (message: string) => new AdapterUploadError('bad-file', message);

/** The display name an upload gets in the library: the folder's, archive's or file's name without its extension. */
export function adapterNameOf(label: string): string {
  const name = label.replace(/\.(zip|gguf)$/i, '').trim();
  return name || 'Imported adapter';
}

/** Room for the files beside the weights: configs, a README, a tokenizer.json (Llama 3's is ~9 MB). */
const ADAPTER_SIDE_FILES_BYTES = 32 * 2 ** 20;

/**
 * The most bytes an adapter for this base can take: the base's own parameters in f32 (an adapter never needs more
 * than the model it adapts; even PEFT's modules_to_save are copies of base tensors) plus room for its side files.
 */
export function adapterByteCap(config: ModelConfig): number {
  const parameters = expectedTensors(config).reduce((sum, t) => sum + t.shape.reduce((n, d) => n * d, 1), 0);
  return parameters * 4 + ADAPTER_SIDE_FILES_BYTES;
}

/**
 * The files as the importers want them (name → source), a .zip unpacked within `limits` (the default caps when
 * none are given); throws AdapterUploadError.
 */
export async function uploadedAdapterFiles(
  files: readonly UploadedFile[],
  label: string,
  limits?: ZipLimits,
): Promise<Map<string, ByteSource>> {
  if (files.length === 0) throw bad(`Nothing to import: choose ${WANTED}.`);
  if (files.length === 1) {
    const { source } = files[0];
    if (source.size === 0) throw bad(`${source.name} is empty (0 bytes): choose ${WANTED}.`);
    const head = await source.read(0, Math.min(4, source.size));
    if (looksLikeZip(head)) {
      try {
        return unzipFiles(await source.read(0, source.size), source.name, limits);
      } catch (error) {
        throw error instanceof ModelFormatError ? bad(error.message) : error;
      }
    }
    const isGguf = head.length === 4 && new TextDecoder().decode(head) === 'GGUF';
    if (!isGguf && !source.name.toLowerCase().endsWith('.gguf') && source.name !== PEFT_CONFIG_FILE) {
      throw bad(`${source.name} is not an adapter file: it is neither a .zip archive nor a GGUF file. Choose ${WANTED}.`);
    }
  }
  return new Map(files.map((f) => [f.path, f.source]));
}

/**
 * Reads the adapter. With `base` (the loaded model) it is checked to fit it, refused naming both models when it
 * does not, and put in the base's q/k row layout.
 */
export async function readUploadedAdapter(
  files: readonly UploadedFile[],
  label: string,
  base?: { config: ModelConfig; name: string },
): Promise<ReadAdapter> {
  // A loaded base bounds what an adapter for it can weigh; without one the default caps apply.
  const cap = base ? adapterByteCap(base.config) : 0;
  const limits = base ? { ...DEFAULT_ZIP_LIMITS, entryBytes: cap, totalBytes: cap, basis: `for an adapter of ${base.name}` } : undefined;
  const map = await uploadedAdapterFiles(files, label, limits);
  const top = topLevelFiles(map);
  const where = label;
  if (top.has(PEFT_CONFIG_FILE) && !top.has(PEFT_WEIGHTS_FILE)) {
    throw bad(`${where} has ${PEFT_CONFIG_FILE} but no ${PEFT_WEIGHTS_FILE}: the adapter's weights are missing.`);
  }
  for (const [name, source] of top) {
    const relevant = name === PEFT_CONFIG_FILE || name === PEFT_WEIGHTS_FILE || name.toLowerCase().endsWith('.gguf');
    if (relevant && source.size === 0) throw bad(`${where}: ${name} is empty (0 bytes).`);
  }
  let read: { adapter: AnyAdapter; format: AdapterFormat };
  try {
    // A LoRA (or DoRA) folder or GGUF file, or PEFT's IA³ or prompt-tuning folder.
    read = await importAnyAdapter(map, where, base ? { base } : {});
    // The library stores PEFT (HF row order); a LoRA adapter whose q/k order cannot be converted without its base's
    // head counts is refused now rather than half-stored.
    if (!isIa3Adapter(read.adapter) && !isPromptAdapter(read.adapter)) withRowLayout(read.adapter, 'half');
  } catch (error) {
    if (error instanceof AdapterMismatchError) throw new AdapterUploadError('wrong-base', `${where}: ${error.message}`);
    if (error instanceof ModelFormatError) throw bad(error.message);
    if (error instanceof RangeError) throw bad(`${where}: ${error.message}`);
    throw error;
  }
  const { adapter, format } = read;
  // The method leads the record's label where it is not LoRA's: the library's exports go by it.
  const shape = isPromptAdapter(adapter)
    ? { method: 'Prompt tuning (imported PEFT)', rank: 0, alpha: 0, targets: [] }
    : isIa3Adapter(adapter)
      ? { method: 'IA³ (imported PEFT)', rank: 0, alpha: 0, targets: [...adapter.config.targets] }
      : {
          method: adapter.config.useDora ? 'DoRA (imported PEFT)' : format === 'peft' ? 'imported (PEFT)' : 'imported (GGUF)',
          rank: adapter.config.r,
          alpha: adapter.config.alpha,
          targets: [...adapter.config.targets],
        };
  return {
    adapter,
    format,
    record: {
      name: adapterNameOf(label),
      baseModel: adapter.config.baseModel || base?.name || 'unknown',
      ...shape,
      dataset: null,
      valLoss: null,
      source: 'imported',
    },
  };
}
