/**
 * The tensors of a model to export: the base's weights as f32, with an adapter folded in (W + scale·B·A for every
 * adapted projection, DoRA rescaled, IA³ as its vectors' scaling), in canonical roles, q/k rows in the row order
 * the target file wants. Both writers (merged-gguf.ts, hf-folder.ts) start from this list. The whole model is held
 * in host memory while it is written, which suits the sizes the studio trains.
 */
import { type AnyAdapter, isIa3Adapter, isPromptAdapter } from '../adapters/any-adapter';
import { mergeAdapterIntoHostWeights, mergeIa3IntoHostWeights } from '../adapters/merge';
import { PROMPT_CANNOT_MERGE } from '../adapters/prompt-weights';
import { convertRowLayout } from '../adapters/rope-permute';
import type { ModelConfig, RopeLayout } from '../model/config';
import { readHostTensor, readHostWeights } from '../model/host-weights';
import type { HostLayerWeights, HostWeights } from '../model/reference-forward';
import type { GlobalRole, LayerRole, ModelWeights } from '../model/tensor-map';

export interface ExportTensor {
  role: LayerRole | GlobalRole;
  layer?: number;
  /** Row-major ([out, in] for a linear weight). */
  shape: number[];
  values: Float32Array;
}

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

/** The base's host weights with `adapter` folded in; the base alone for null. Prompt tuning cannot merge. */
export async function mergedHostWeights(config: ModelConfig, weights: ModelWeights, adapter: AnyAdapter | null): Promise<HostWeights> {
  if (adapter && isPromptAdapter(adapter)) throw new RangeError(PROMPT_CANNOT_MERGE);
  const host = await readHostWeights(config, weights);
  if (!adapter) return host;
  return isIa3Adapter(adapter) ? mergeIa3IntoHostWeights(host, adapter) : mergeAdapterIntoHostWeights(host, adapter);
}

/**
 * Every tensor of the merged model. `adapter` must already be in the base's q/k row layout (`adaptToBase`); q/k
 * weights (and their biases) leave in `rowLayout`. The head is written only when the base has its own.
 */
export async function mergedTensors(
  config: ModelConfig,
  weights: ModelWeights,
  adapter: AnyAdapter | null,
  rowLayout: RopeLayout,
): Promise<ExportTensor[]> {
  const merged = await mergedHostWeights(config, weights, adapter);
  const H = config.hiddenSize;
  const tensors: ExportTensor[] = [{ role: 'token_embd', shape: [config.vocabSize, H], values: merged.tokenEmbedding }];
  if (config.ropeFreqsTensor) {
    tensors.push({ role: 'rope_freqs', shape: [config.headDim / 2], values: await readHostTensor(weights.tensors.get('rope_freqs')!) });
  }
  merged.layers.forEach((layer, l) => {
    for (const [role, field] of LAYER_FIELDS) {
      let values = layer[field];
      if (!values) continue;
      const shape = weights.tensors.get(`layers.${l}.${role}`)!.shape;
      const heads = role === 'attn_q' || role === 'attn_q_bias' ? config.numHeads : role === 'attn_k' || role === 'attn_k_bias' ? config.numKvHeads : 0;
      if (heads) values = convertRowLayout(values, heads, shape.length === 2 ? shape[1] : 1, config.ropeLayout, rowLayout);
      tensors.push({ role, layer: l, shape, values });
    }
  });
  tensors.push({ role: 'output_norm', shape: [H], values: merged.outputNorm });
  if (merged.output) tensors.push({ role: 'output', shape: [config.vocabSize, H], values: merged.output });
  return tensors;
}
