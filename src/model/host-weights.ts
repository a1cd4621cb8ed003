/**
 * A model's weights as host f32 arrays, for the CPU reference forward (tests and small-model checks only:
 * this holds the whole model in memory). Quantized tensors are dequantized.
 */
import type { ModelConfig } from './config';
import { ModelFormatError } from './errors';
import { decodeTensorBytes } from './quant/dequantize';
import type { HostLayerWeights, HostWeights } from './reference-forward';
import type { ModelWeights, WeightRef } from './tensor-map';

export async function readHostTensor(ref: WeightRef): Promise<Float32Array> {
  const values = decodeTensorBytes(await ref.read(), ref.dtype, ref.shape.reduce((a, b) => a * b, 1));
  if (!values) throw new ModelFormatError(ref.file, `tensor '${ref.name}' has unsupported type ${ref.dtype}`);
  return values;
}

export async function readHostWeights(config: ModelConfig, weights: ModelWeights): Promise<HostWeights> {
  const get = async (key: string) => {
    const ref = weights.tensors.get(key);
    if (!ref) throw new ModelFormatError(weights.format, `tensor '${key}' is missing`);
    return readHostTensor(ref);
  };
  const maybe = async (key: string) => (weights.tensors.has(key) ? get(key) : undefined);
  const layers: HostLayerWeights[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const k = (role: string) => `layers.${i}.${role}`;
    layers.push({
      attnNorm: await get(k('attn_norm')),
      wq: await get(k('attn_q')),
      wk: await get(k('attn_k')),
      wv: await get(k('attn_v')),
      wo: await get(k('attn_o')),
      bq: await maybe(k('attn_q_bias')),
      bk: await maybe(k('attn_k_bias')),
      bv: await maybe(k('attn_v_bias')),
      qNorm: await maybe(k('q_norm')),
      kNorm: await maybe(k('k_norm')),
      ffnNorm: await get(k('ffn_norm')),
      wGate: await get(k('ffn_gate')),
      wUp: await get(k('ffn_up')),
      wDown: await get(k('ffn_down')),
    });
  }
  return {
    tokenEmbedding: await get('token_embd'),
    layers,
    outputNorm: await get('output_norm'),
    output: await maybe('output'),
  };
}
