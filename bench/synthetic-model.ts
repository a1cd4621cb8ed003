/**
 * Synthetic Llama-family models with random weights, at a real model's exact shapes, for the inference and
 * training benchmarks (the real SmolLM2-135M weights are not available offline; its config.json is).
 *
 * A synthetic model is a `ModelWeights` like the one a GGUF or HF loader returns, so it goes through the same
 * `uploadModel` path. Each tensor is generated when it is read (deterministically from the seed and the tensor's place in the model),
 * so the host never holds the whole model: SmolLM2-135M in F32 is 540 MB.
 *
 *   const config = await readHfConfig(SMOLLM2_135M_CONFIG);
 *   const weights = withQuantizedLinears(syntheticModelWeights(config, { seed: 1 }), 'Q8_0');
 *   const uploaded = await uploadModel(ctx, weights);
 */
import { readFile } from 'node:fs/promises';
import { configFromHf, type ModelConfig } from '../src/model/config';
import type { GgmlTypeName } from '../src/model/ggml-types';
import { f32ToBf16Bytes, f32ToF16Bytes, floatBytesToF32 } from '../src/model/dtype';
import { QUANT_FORMATS, quantByteSize, quantFormatOfGgml } from '../src/model/quant/formats';
import { expectedTensors, fileTensorName, type ExpectedTensor, type ModelWeights, type WeightRef } from '../src/model/tensor-map';
import { quantizeForTest } from '../src/gpu/kernels/quant-testing';

/** SmolLM2-135M-Instruct's config.json (hidden 576, 30 layers, 9 heads, 3 KV heads, vocab 49152, tied). */
export const SMOLLM2_135M_CONFIG = new URL('../../shared/models/SmolLM2-135M-Instruct-tokenizer/config.json', import.meta.url);

/** Weight encodings a synthetic model's linear projections can take. */
export type SyntheticLinearType = 'F32' | 'Q8_0' | 'Q4_0' | 'Q4_K' | 'Q6_K';

export interface SyntheticModelOptions {
  /** Seed of every tensor's values. Default 1. */
  seed?: number;
  /**
   * Standard deviation of linear and embedding weights. Default 0.02, the usual `initializer_range` of Llama
   * configs, which keeps activations in a realistic range through many layers. Norm weights are 1.
   */
  std?: number;
}

/** Reads a Hugging Face config.json into a ModelConfig (the same parser the HF folder loader uses). */
export async function readHfConfig(path: URL | string): Promise<ModelConfig> {
  return configFromHf(JSON.parse(await readFile(path, 'utf8')), String(path));
}

/** Parameters a config implies (a tied head counted once), as the model card counts them. */
export function parameterCount(config: ModelConfig): number {
  return expectedTensors(config).reduce((sum, t) => sum + elements(t.shape), 0);
}

/**
 * A model's weights with random F32 values, generated on read. Pass the result through `withQuantizedLinears`
 * for a Q8_0 / Q4_0 / Q4_K / Q6_K model.
 */
export function syntheticModelWeights(config: ModelConfig, options: SyntheticModelOptions = {}): ModelWeights {
  const seed = options.seed ?? 1;
  const std = options.std ?? 0.02;
  const file = `synthetic-${config.architecture}-${config.numLayers}L-${config.hiddenSize}`;
  const tensors = new Map<string, WeightRef>();
  expectedTensors(config).forEach((t, index) => {
    const count = elements(t.shape);
    tensors.set(t.key, {
      key: t.key,
      name: fileTensorName('gguf', t.role, t.layer) ?? t.key,
      file,
      shape: t.shape,
      dtype: 'F32',
      byteSize: count * 4,
      read: async (range) => sliced(new Uint8Array(tensorValues(t, count, std, seed * 100003 + index).buffer), range),
    });
  });
  return { format: 'gguf', config, tensors, unused: [] };
}

/**
 * The same model with its linear projections (q, k, v, o, gate, up, down and an untied output head) re-encoded
 * as `type` when read, with the test-suite quantizers written from the published block layouts. `uploadModel`
 * then keeps them quantized on the GPU exactly as it keeps a GGUF file's. Embeddings, norms and biases stay as
 * they are, and so does a projection whose input width is not a whole number of blocks (as llama.cpp's quantizer
 * leaves it). Works on any F32/F16/BF16 `ModelWeights`: a real file's, or `syntheticModelWeights`.
 */
export function withQuantizedLinears(weights: ModelWeights, type: SyntheticLinearType): ModelWeights {
  if (type === 'F32') return weights;
  const format = quantFormatOfGgml(type as GgmlTypeName);
  if (!format) throw new Error(`withQuantizedLinears: ${type} is not a quantized format`);
  const tensors = new Map<string, WeightRef>();
  for (const [key, ref] of weights.tensors) {
    const role = key.split('.').pop() ?? '';
    const quantize =
      LINEAR_ROLES.has(role) &&
      ref.shape.length === 2 &&
      ref.shape[1] % QUANT_FORMATS[format].blockSize === 0 &&
      (ref.dtype === 'F32' || ref.dtype === 'F16' || ref.dtype === 'BF16');
    if (!quantize) {
      tensors.set(key, ref);
      continue;
    }
    const source = ref;
    tensors.set(key, {
      ...ref,
      dtype: type as GgmlTypeName,
      byteSize: quantByteSize(format, elements(ref.shape)),
      read: async (range) => sliced(quantizeForTest(format, floatBytesToF32(await source.read(), source.dtype as 'F32' | 'F16' | 'BF16')), range),
    });
  }
  return { ...weights, tensors };
}

const LINEAR_ROLES = new Set(['attn_q', 'attn_k', 'attn_v', 'attn_o', 'ffn_gate', 'ffn_up', 'ffn_down', 'output']);

function sliced(bytes: Uint8Array, range?: { offset: number; length: number }): Uint8Array {
  return range ? bytes.subarray(range.offset, range.offset + range.length) : bytes;
}

function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Norm weights 1 (as initialised), RoPE frequency divisors 1, everything else uniform with standard deviation `std`. */
function tensorValues(t: ExpectedTensor, count: number, std: number, seed: number): Float32Array {
  if (t.role === 'attn_norm' || t.role === 'ffn_norm' || t.role === 'output_norm' || t.role === 'q_norm' || t.role === 'k_norm' || t.role === 'rope_freqs') {
    return new Float32Array(count).fill(1);
  }
  // Uniform on [-a, a) has standard deviation a/√3.
  const a = std * Math.sqrt(3);
  const out = new Float32Array(count);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < count; i++) {
    // mulberry32, inlined: 135M values must take about a second, not a minute.
    s = (s + 0x6d2b79f5) >>> 0;
    let r = s;
    r = Math.imul(r ^ (r >>> 15), r | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    out[i] = (((r ^ (r >>> 14)) >>> 0) / 4294967296) * 2 * a - a;
  }
  return out;
}

/** The same model with every tensor stored as F16 or BF16 (as most Hugging Face checkpoints ship), encoded on read. */
export function withFloat16(weights: ModelWeights, type: 'F16' | 'BF16'): ModelWeights {
  const tensors = new Map<string, WeightRef>();
  for (const [key, ref] of weights.tensors) {
    const source = ref;
    const encode = type === 'F16' ? f32ToF16Bytes : f32ToBf16Bytes;
    tensors.set(key, {
      ...ref,
      dtype: type,
      byteSize: elements(ref.shape) * 2,
      read: async (range) => sliced(encode(floatBytesToF32(await source.read(), source.dtype as 'F32' | 'F16' | 'BF16')), range),
    });
  }
  return { ...weights, tensors };
}
