/**
 * Moves a model's weights from its file to the GPU, one tensor at a time (the host never holds the whole model).
 * Linear weights: F32/F16/BF16 become dense f32, or NF4 blocks when `quantize: 'nf4'` (QLoRA); quantized GGUF
 * weights (Q8_0, Q4_0, Q4_K, Q6_K) stay quantized as loaded (see matmul_quant). Norms and biases are small and
 * stay f32. The token embedding is a gather table and is dense f32 (dequantized if the file quantized it).
 */
import type { ModelConfig } from '../../model/config';
import { floatBytesToF32 } from '../../model/dtype';
import { ModelFormatError } from '../../model/errors';
import { ropeInverseFrequencies } from '../../model/rope-frequencies';
import { readHostTensor } from '../../model/host-weights';
import { quantFormatOfGgml } from '../../model/quant/formats';
import { quantizeNf4 } from '../../model/quant/nf4';
import { NF4_BLOCK_SIZE } from '../../model/quant/formats';
import type { ModelWeights, WeightRef } from '../../model/tensor-map';
import type { GpuContext } from '../context';
import { uploadQuantized } from '../kernels/matmul_quant';
import type { Tensor } from '../tensor';
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
  const frozen = async (key: string): Promise<FrozenWeight> => {
    const ref = get(key);
    const [rows, cols] = ref.shape;
    const ggmlFormat = quantFormatOfGgml(ref.dtype);
    let w: FrozenWeight;
    if (ggmlFormat) {
      w = uploadQuantized(ctx, { format: ggmlFormat, shape: [rows, cols], bytes: await ref.read(), label: key });
    } else if (options.quantize === 'nf4' && cols % NF4_BLOCK_SIZE === 0) {
      const bytes = quantizeNf4(await readDense(ref), key);
      w = uploadQuantized(ctx, { format: 'nf4', shape: [rows, cols], bytes, label: key });
    } else {
      return dense(key);
    }
    linears.push(linearLayer(w));
    weightBytes += w.byteSize;
    return w;
  };
  const linear = async (key: string, biasKey?: string): Promise<LinearLayer> => {
    const weight = await frozen(key);
    const bias = biasKey && model.tensors.has(biasKey) ? await dense(biasKey) : undefined;
    return linearLayer(weight, bias);
  };

  const tokenEmbedding = await dense('token_embd');
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
  const output = model.tensors.has('output') ? await linear('output') : linearLayer(tokenEmbedding);
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
