/**
 * Moves a model's weights from its file to the GPU, one tensor at a time (the host never holds the whole model).
 * Weights stay in their file's format wherever the kernels read it (matmul_quant.ts): F16 and BF16 (safetensors
 * and GGUF) and GGUF's Q8_0, Q4_0, Q4_K, Q6_K, for the linear layers, the LM head and the token embedding alike,
 * so a 16-bit base takes its file's size on the GPU and no f32 copy of a vocabulary-sized matrix is made. An
 * untied embedding is not uploaded at all: its rows are gathered on the host (host-embedding.ts).
 * `quantize: 'nf4'` (QLoRA) turns the 16- and 32-bit linear weights and an untied head into NF4 blocks; the
 * embedding keeps its file's format, as QLoRA keeps it in 16 bits. F32 tensors, and any whose row length is not a
 * whole number of the format's blocks, are dense f32 (the rules: model/quant/storage.ts, which the memory estimate
 * reads too). Norms and biases are small and stay f32.
 */
import type { ModelConfig } from '../../model/config';
import { floatBytesToF32 } from '../../model/dtype';
import { ModelFormatError } from '../../model/errors';
import { ropeInverseFrequencies } from '../../model/rope-frequencies';
import { readHostTensor } from '../../model/host-weights';
import { quantizeNf4 } from '../../model/quant/nf4';
import { storageOfRef } from '../../model/quant/storage';
import type { ModelWeights, WeightRef } from '../../model/tensor-map';
import type { GpuContext } from '../context';
import { uploadQuantized } from '../kernels/matmul_quant';
import type { Tensor } from '../tensor';
import { HostEmbedding } from './host-embedding';
import { linearLayer, releaseLinear, type FrozenWeight, type LinearLayer } from './linear';
import { releaseWeights, type GpuLayerWeights, type GpuModelConfig, type GpuModelWeights } from './weights';

export interface UploadOptions {
  /** Quantize dense linear weights on load: 'nf4' keeps the frozen base in 4 bits (QLoRA). Default 'none'. */
  quantize?: 'none' | 'nf4';
}

export interface UploadedModel {
  config: GpuModelConfig;
  weights: GpuModelWeights;
  /** RoPE inverse frequencies [headDim/2], with any scaling the file asks for applied. */
  invFreq: Float32Array;
  /** Bytes the weights take on the GPU. */
  weightBytes: number;
}

function isDense(ref: WeightRef): ref is WeightRef & { dtype: 'F32' | 'F16' | 'BF16' } {
  return ref.dtype === 'F32' || ref.dtype === 'F16' || ref.dtype === 'BF16';
}

/** The weight as host f32 values (dense formats only). */
export async function readDense(ref: WeightRef): Promise<Float32Array> {
  if (!isDense(ref)) throw new ModelFormatError(ref.file, `tensor '${ref.name}' is ${ref.dtype}, not a float type`);
  return floatBytesToF32(await ref.read(), ref.dtype);
}

/**
 * Uploads every weight. On any failure (a truncated file, a device out of memory) the tensors uploaded so far
 * are released before the error is rethrown, so no partly loaded model stays on the GPU.
 */
export async function uploadModel(
  ctx: GpuContext,
  model: ModelWeights,
  options: UploadOptions = {},
): Promise<UploadedModel> {
  const uploaded: Tensor[] = [];
  const linears: LinearLayer[] = [];
  try {
    return await uploadAll(ctx, model, options, uploaded, linears);
  } catch (error) {
    for (const t of uploaded) ctx.release(t);
    for (const l of linears) releaseLinear(ctx, { ...l, bias: undefined });
    throw error;
  }
}

/** Returns a model's weight buffers to the allocator (the model is unusable afterwards). */
export function releaseModel(ctx: GpuContext, model: UploadedModel): void {
  releaseWeights(ctx, model.weights);
}

async function uploadAll(
  ctx: GpuContext,
  model: ModelWeights,
  options: UploadOptions,
  uploaded: Tensor[],
  linears: LinearLayer[],
): Promise<UploadedModel> {
  const config = model.config;
  let weightBytes = 0;
  const get = (key: string): WeightRef => {
    const ref = model.tensors.get(key);
    if (!ref) throw new ModelFormatError(model.format, `tensor '${key}' is missing`);
    return ref;
  };
  const dense = async (key: string): Promise<Tensor> => {
    const ref = get(key);
    const data = await readHostTensor(ref);
    const t = ctx.tensor(ref.shape, 'f32', key, data);
    uploaded.push(t);
    weightBytes += t.byteSize;
    return t;
  };
  /** A weight placed as storage.ts decides: NF4 (QLoRA), its file's format, or dense f32. */
  const frozen = async (key: string, role: 'linear' | 'embedding' = 'linear'): Promise<FrozenWeight> => {
    const ref = get(key);
    const storage = storageOfRef(ref, options.quantize, role);
    if (storage === 'f32') return dense(key);
    const shape = [ref.shape[0], ref.shape[1]] as const;
    const bytes = storage === 'nf4' ? quantizeNf4(await readDense(ref), key) : await ref.read();
    const w = uploadQuantized(ctx, { format: storage, shape, bytes, label: key });
    linears.push(linearLayer(w));
    weightBytes += w.byteSize;
    return w;
  };
  /** An untied embedding stays on the host in its file's bytes (host-embedding.ts). */
  const hostEmbedding = async (key: string): Promise<HostEmbedding> => {
    const ref = get(key);
    if (ref.shape.length !== 2) throw new ModelFormatError(ref.file, `'${ref.name}' must be 2-D [V, C]`);
    try {
      return new HostEmbedding(await ref.read(), ref.dtype, [ref.shape[0], ref.shape[1]], key);
    } catch (e) {
      throw new ModelFormatError(ref.file, `tensor '${ref.name}': ${(e as Error).message}`);
    }
  };
  const linear = async (key: string, biasKey?: string): Promise<LinearLayer> => {
    const weight = await frozen(key);
    const bias = biasKey && model.tensors.has(biasKey) ? await dense(biasKey) : undefined;
    return linearLayer(weight, bias);
  };

  const untied = model.tensors.has('output');
  const tokenEmbedding = untied ? await hostEmbedding('token_embd') : await frozen('token_embd', 'embedding');
  const layers: GpuLayerWeights[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const k = (role: string) => `layers.${i}.${role}`;
    layers.push({
      attnNorm: await dense(k('attn_norm')),
      q: await linear(k('attn_q'), k('attn_q_bias')),
      k: await linear(k('attn_k'), k('attn_k_bias')),
      v: await linear(k('attn_v'), k('attn_v_bias')),
      o: await linear(k('attn_o')),
      qNorm: config.qkNorm ? await dense(k('q_norm')) : undefined,
      kNorm: config.qkNorm ? await dense(k('k_norm')) : undefined,
      ffnNorm: await dense(k('ffn_norm')),
      gate: await linear(k('ffn_gate')),
      up: await linear(k('ffn_up')),
      down: await linear(k('ffn_down')),
    });
  }
  const outputNorm = await dense('output_norm');
  const output = untied ? await linear('output') : linearLayer(tokenEmbedding as FrozenWeight);
  const invFreq = await inverseFrequencies(config, model);
  return {
    config: { ...config, contextLength: config.contextLength },
    weights: { tokenEmbedding, layers, outputNorm, output },
    invFreq,
    weightBytes,
  };
}

/** GGUF Llama 3 files carry their scaling as `rope_freqs.weight`: per-frequency divisors of the base frequencies. */
async function inverseFrequencies(config: ModelConfig, model: ModelWeights): Promise<Float32Array> {
  const base = ropeInverseFrequencies(config.headDim, config.ropeTheta, config.ropeScaling);
  const ref = config.ropeFreqsTensor ? model.tensors.get('rope_freqs') : undefined;
  if (!ref) return base;
  const divisors = await readDense(ref);
  if (divisors.length !== base.length) {
    throw new ModelFormatError(ref.file, `'${ref.name}' has ${divisors.length} values, expected ${base.length}`);
  }
  return base.map((f, i) => f / divisors[i]);
}
