/**
 * A merged model as one GGUF file llama.cpp and Ollama run: the base with the adapter folded in, its linear weights
 * in F16 or quantized by the project (Q8_0, Q4_0, Q4_K), norms and RoPE divisors in F32 as llama.cpp keeps them,
 * the base's tokenizer (converted from tokenizer.json for a Hugging Face base) and chat template, and the metadata
 * llama.cpp reads. A weight whose rows are not whole blocks of the chosen type falls back, per tensor, to the next
 * format that takes them (Q4_K → Q4_0 → F16), and the export says which tensors did.
 */
import type { AnyAdapter } from '../adapters/any-adapter';
import { type ModelConfig, ggufRopeLayout } from '../model/config';
import { configToGgufMetadata } from '../model/config-export';
import { f32ToF16Bytes } from '../model/dtype';
import type { GgmlTypeName } from '../model/ggml-types';
import type { GgufEntry } from '../model/gguf/types';
import { encodeGguf, gguf, type GgufWriteTensor } from '../model/gguf/writer';
import type { LoadedModel } from '../model/load';
import { QUANT_FORMATS } from '../model/quant/formats';
import { type BlockQuant, quantizeBlocks } from '../model/quant/quantize';
import { ropeInverseFrequencies } from '../model/rope-frequencies';
import { fileTensorName } from '../model/tensor-map';
import type { GgufExportType } from './formats';
import { ggufTokenizerMetadata, ggufVocabOf } from './gguf-tokenizer';
import { type ExportTensor, mergedTensors } from './merged-tensors';

interface TypeRule {
  ggml: GgmlTypeName;
  /** Values per block: a row must be a whole number of them. */
  block: number;
  /** What a tensor whose rows do not split into blocks is written as instead. */
  fallback: GgufExportType | null;
  /** llama.cpp's `general.file_type` (LLAMA_FTYPE_*; Q4_K alone is its Q4_K_S). */
  fileType: number;
}

const TYPES: Record<GgufExportType, TypeRule> = {
  f32: { ggml: 'F32', block: 1, fallback: null, fileType: 0 },
  f16: { ggml: 'F16', block: 1, fallback: null, fileType: 1 },
  q8_0: { ggml: 'Q8_0', block: QUANT_FORMATS.q8_0.blockSize, fallback: 'f16', fileType: 7 },
  q4_0: { ggml: 'Q4_0', block: QUANT_FORMATS.q4_0.blockSize, fallback: 'f16', fileType: 2 },
  q4_k: { ggml: 'Q4_K', block: QUANT_FORMATS.q4_k.blockSize, fallback: 'q4_0', fileType: 14 },
};

/** What one tensor was written as, and why not as asked when it fell back. */
export interface TensorChoice {
  name: string;
  type: GgmlTypeName;
  reason?: string;
}

export interface MergedGguf {
  parts: Uint8Array[];
  bytes: number;
  tensors: TensorChoice[];
  /** For the user: fallbacks, what llama.cpp will not see. */
  notes: string[];
}

/** The type a [rows, cols] weight is written as for `wanted`, following the fallbacks. */
function typeFor(wanted: GgufExportType, cols: number): { type: GgufExportType; reason?: string } {
  let type = wanted;
  const refused: string[] = [];
  while (cols % TYPES[type].block !== 0) {
    refused.push(`${TYPES[type].block}-value ${TYPES[type].ggml}`);
    type = TYPES[type].fallback!;
  }
  return refused.length ? { type, reason: `rows of ${cols} values are not whole ${refused.join(' nor ')} blocks` } : { type };
}

function encodeValues(type: GgufExportType, values: Float32Array): Uint8Array {
  if (type === 'f32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (type === 'f16') return f32ToF16Bytes(values);
  return quantizeBlocks(type as BlockQuant, values);
}

/** Llama 3 scaling from a Hugging Face config, as llama.cpp carries it: per-frequency divisors in rope_freqs. */
function ropeFreqsFromScaling(config: ModelConfig): ExportTensor | null {
  if (!config.ropeScaling || config.ropeFreqsTensor) return null;
  const plain = ropeInverseFrequencies(config.headDim, config.ropeTheta);
  const scaled = ropeInverseFrequencies(config.headDim, config.ropeTheta, config.ropeScaling);
  return { role: 'rope_freqs', shape: [config.headDim / 2], values: plain.map((f, i) => f / scaled[i]) };
}

export type ExportBase = Pick<LoadedModel, 'name' | 'config' | 'weights' | 'tokenizer' | 'tokenizerSpec' | 'chatTemplate'>;

/** llama.cpp runs Mistral's architecture as llama (its converter writes them so). */
function ggufArchitecture(config: ModelConfig): ModelConfig['architecture'] {
  return config.architecture === 'mistral' ? 'llama' : config.architecture;
}

/**
 * The merged model's f32 tensors as a GGUF holds them (q/k rows in the architecture's order, Llama 3 scaling as
 * `rope_freqs`), ready for `encodeMergedGguf` in any type. `adapter` (null: the base alone) must already be in the
 * base's q/k row layout (`adaptToBase`).
 */
export async function mergedGgufTensors(base: ExportBase, adapter: AnyAdapter | null): Promise<ExportTensor[]> {
  const tensors = await mergedTensors(base.config, base.weights, adapter, ggufRopeLayout(ggufArchitecture(base.config)));
  const freqs = ropeFreqsFromScaling(base.config);
  if (freqs) tensors.splice(1, 0, freqs);
  return tensors;
}

/** The merged GGUF of `base` + `adapter` in `wanted` (see `mergedGgufTensors`). */
export async function mergedGguf(base: ExportBase, adapter: AnyAdapter | null, wanted: GgufExportType, name: string): Promise<MergedGguf> {
  return encodeMergedGguf(base, await mergedGgufTensors(base, adapter), wanted, name);
}

/** `tensors` (from `mergedGgufTensors`) as one GGUF file of type `wanted`, with the base's tokenizer and metadata. */
export function encodeMergedGguf(base: ExportBase, tensors: readonly ExportTensor[], wanted: GgufExportType, name: string): MergedGguf {
  const { config } = base;
  const notes: string[] = [];
  const arch = ggufArchitecture(config);
  if (config.architecture === 'mistral' && config.slidingWindow !== null) {
    notes.push(`llama.cpp runs Mistral as llama: the ${config.slidingWindow}-token sliding window is not in the file`);
  }
  const vocab = ggufVocabOf(base.tokenizerSpec, base.tokenizer);

  const written: GgufWriteTensor[] = [];
  const choices: TensorChoice[] = [];
  for (const t of tensors) {
    const tensorName = fileTensorName('gguf', t.role, t.layer)!;
    const { type, reason } = t.shape.length === 2 ? typeFor(wanted, t.shape[1]) : { type: 'f32' as const, reason: undefined };
    const ggml = TYPES[type].ggml;
    written.push({ name: tensorName, shape: t.shape, type: ggml, data: encodeValues(type, t.values) });
    choices.push(reason ? { name: tensorName, type: ggml, reason } : { name: tensorName, type: ggml });
  }
  // One note per (type, reason): "5 tensors (blk.0.ffn_down.weight, …) written as F16: rows of 172 values …".
  const fellBack = new Map<string, TensorChoice[]>();
  for (const c of choices) if (c.reason) fellBack.set(`written as ${c.type}: ${c.reason}`, [...(fellBack.get(`written as ${c.type}: ${c.reason}`) ?? []), c]);
  for (const [what, list] of fellBack) {
    notes.push(`${list.length} tensor${list.length === 1 ? '' : 's'} (${list[0].name}${list.length > 1 ? ', …' : ''}) ${what}`);
  }

  // One entry per key: the tokenizer's BOS/EOS ids replace the config's.
  const metadata = new Map<string, GgufEntry>([
    ...configToGgufMetadata({ ...config, architecture: arch }, name),
    ['general.file_type', gguf.u32(TYPES[wanted].fileType)],
    ...ggufTokenizerMetadata(vocab, base.chatTemplate),
  ]);
  if (wanted.startsWith('q')) metadata.set('general.quantization_version', gguf.u32(2));
  const parts = encodeGguf({ metadata, tensors: written });
  return { parts, bytes: parts.reduce((n, p) => n + p.byteLength, 0), tensors: choices, notes };
}
