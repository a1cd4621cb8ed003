/**
 * How a model's frozen weights sit on the GPU, decided in one place for the uploader (src/gpu/model/upload.ts) and
 * the memory estimator (src/train/memory-estimate.ts), so the estimate describes the buffers the upload makes.
 *
 * A weight stays in its file's format wherever the kernels read it and its rows are whole blocks of that format
 * (F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K); QLoRA (`quantize: 'nf4'`) turns float linear weights and an untied head
 * into NF4; everything else (F32 files, odd row lengths) is dense f32. The token embedding is never re-quantized:
 * QLoRA keeps it as stored; and when the head is untied it does not go to the GPU at all (host-embedding.ts).
 */
import type { GgmlTypeName } from '../ggml-types';
import type { ModelWeights, WeightRef } from '../tensor-map';
import { NF4_BLOCK_SIZE, QUANT_FORMATS, type QuantFormat, quantFormatOfGgml } from './formats';

export type WeightStorage = 'f32' | QuantFormat;
export type Quantize = 'none' | 'nf4';

const FLOAT_TYPES: readonly GgmlTypeName[] = ['F32', 'F16', 'BF16'];

/** The storage of one [rows, cols] weight of file type `dtype`: a linear layer's (or head's), or the embedding's. */
export function storageOf(dtype: GgmlTypeName, cols: number, quantize: Quantize = 'none', role: 'linear' | 'embedding' = 'linear'): WeightStorage {
  if (role === 'linear' && quantize === 'nf4' && FLOAT_TYPES.includes(dtype) && cols % NF4_BLOCK_SIZE === 0) return 'nf4';
  const format = quantFormatOfGgml(dtype);
  return format && cols % QUANT_FORMATS[format].blockSize === 0 ? format : 'f32';
}

/** The storage of a weight ref (2-D: [rows, cols]; anything else is dense). */
export function storageOfRef(ref: WeightRef, quantize: Quantize = 'none', role: 'linear' | 'embedding' = 'linear'): WeightStorage {
  return ref.shape.length === 2 ? storageOf(ref.dtype, ref.shape[1], quantize, role) : 'f32';
}

/** A base model's storage, as the estimator takes it. */
export interface BaseStorage {
  /** The linear projections (read off the first layer's q; widths that do not split into blocks stay f32). */
  linears: WeightStorage;
  /** 'host': an untied embedding stays in host memory, its rows gathered there (gpu/model/host-embedding.ts). */
  embedding: WeightStorage | 'host';
  /** The untied LM head; null when the embedding is the head. */
  head: WeightStorage | null;
}

/** A base whose every weight is dense f32 (an F32 file without QLoRA). */
export const F32_BASE: BaseStorage = { linears: 'f32', embedding: 'f32', head: 'f32' };

export function baseStorage(weights: ModelWeights, quantize: Quantize = 'none'): BaseStorage {
  const of = (key: string, role: 'linear' | 'embedding' = 'linear'): WeightStorage => {
    const ref = weights.tensors.get(key);
    return ref ? storageOfRef(ref, quantize, role) : 'f32';
  };
  return {
    linears: of('layers.0.attn_q'),
    embedding: weights.tensors.has('output') ? 'host' : of('token_embd', 'embedding'),
    head: weights.tensors.has('output') ? of('output') : null,
  };
}

/** A linear weight's storage once QLoRA applies: float storages become NF4 (rows are assumed to split into blocks). */
export function withQuantize(storage: WeightStorage, quantize: Quantize): WeightStorage {
  return quantize === 'nf4' && (storage === 'f32' || storage === 'f16' || storage === 'bf16') ? 'nf4' : storage;
}

/** The base's storage once QLoRA applies (the embedding is never re-quantized). */
export function baseWithQuantize(stored: BaseStorage, quantize: Quantize): BaseStorage {
  return { ...stored, linears: withQuantize(stored.linears, quantize), head: stored.head && withQuantize(stored.head, quantize) };
}
