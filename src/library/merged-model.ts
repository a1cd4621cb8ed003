/**
 * A merged model: the base's weights with an adapter folded in (W + scale·B·A for every adapted projection), as one
 * safetensors file in Hugging Face names and row order, f32, so it loads with `from_pretrained` beside the base's
 * config and tokenizer. The whole model is held in host memory while it is written, which suits the small models
 * the studio trains.
 */
import { permuteRowsToHalf } from '../adapters/rope-permute';
import { type AnyAdapter, isIa3Adapter, isPromptAdapter } from '../adapters/any-adapter';
import { mergeAdapterIntoHostWeights, mergeIa3IntoHostWeights } from '../adapters/merge';
import { PROMPT_CANNOT_MERGE } from '../adapters/prompt-weights';
import { configToHfJson } from '../model/config-export';
import type { ModelConfig } from '../model/config';
import { readHostWeights } from '../model/host-weights';
import type { HostLayerWeights } from '../model/reference-forward';
import { encodeSafetensors, type SafetensorsWriteTensor } from '../model/safetensors/writer';
import { fileTensorName, type GlobalRole, type LayerRole } from '../model/tensor-map';
import type { ModelWeights } from '../model/tensor-map';

const LAYER_FIELDS: [LayerRole, keyof HostLayerWeights][] = [
  ['attn_norm', 'attnNorm'],
  ['attn_q', 'wq'],
  ['attn_k', 'wk'],
  ['attn_v', 'wv'],
  ['attn_o', 'wo'],
  ['attn_q_bias', 'bq'],
  ['attn_k_bias', 'bk'],
  ['attn_v_bias', 'bv'],
  ['q_norm', 'qNorm'],
  ['k_norm', 'kNorm'],
  ['ffn_norm', 'ffnNorm'],
  ['ffn_gate', 'wGate'],
  ['ffn_up', 'wUp'],
  ['ffn_down', 'wDown'],
];

/**
 * The merged model's safetensors parts. `adapter` must already be in the base's q/k row layout (`adaptToBase`);
 * q/k rows of an interleaved (GGUF llama) base are put back in HF order on the way out.
 */
export async function mergedModelSafetensors(
  config: ModelConfig,
  weights: ModelWeights,
  adapter: AnyAdapter,
  info: { baseName: string; adapterName: string },
): Promise<Uint8Array[]> {
  if (isPromptAdapter(adapter)) throw new RangeError(PROMPT_CANNOT_MERGE);
  const host = await readHostWeights(config, weights);
  const merged = isIa3Adapter(adapter) ? mergeIa3IntoHostWeights(host, adapter) : mergeAdapterIntoHostWeights(host, adapter);
  const tensors: SafetensorsWriteTensor[] = [];
  const add = (role: LayerRole | GlobalRole, values: Float32Array, shape: number[], layer?: number) => {
    const name = fileTensorName('hf', role, layer)!;
    tensors.push({ name, dtype: 'F32', shape, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
  };
  const H = config.hiddenSize;
  add('token_embd', merged.tokenEmbedding, [config.vocabSize, H]);
  merged.layers.forEach((layer, l) => {
    for (const [role, field] of LAYER_FIELDS) {
      let values = layer[field];
      if (!values) continue;
      const ref = weights.tensors.get(`layers.${l}.${role}`)!;
      if (config.ropeLayout === 'interleaved' && (role === 'attn_q' || role === 'attn_k')) {
        values = permuteRowsToHalf(values, role === 'attn_q' ? config.numHeads : config.numKvHeads, H);
      }
      add(role, values, ref.shape, l);
    }
  });
  add('output_norm', merged.outputNorm, [H]);
  if (merged.output) add('output', merged.output, [config.vocabSize, H]);
  return encodeSafetensors(tensors, {
    format: 'pt',
    'webtune.base': info.baseName,
    'webtune.adapter': info.adapterName,
    // The config.json that goes beside it, so the file alone says what model it is.
    'webtune.config': JSON.stringify(configToHfJson(config)),
  });
}
