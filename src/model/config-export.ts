/**
 * ModelConfig back to the two file vocabularies, for exporting merged models and building synthetic models (tests,
 * benchmarks at real shapes). Inverse of `configFromHf` / `configFromGguf` for every field they read.
 */
import type { ModelConfig } from './config';
import type { GgufEntry } from './gguf/types';
import { gguf } from './gguf/writer';

const HF_CLASS: Record<ModelConfig['architecture'], string> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
};

export function configToHfJson(c: ModelConfig): Record<string, unknown> {
  const json: Record<string, unknown> = {
    architectures: [HF_CLASS[c.architecture]],
    model_type: c.architecture,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.contextLength,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: c.ropeScaling && {
      rope_type: 'llama3',
      factor: c.ropeScaling.factor,
      low_freq_factor: c.ropeScaling.lowFreqFactor,
      high_freq_factor: c.ropeScaling.highFreqFactor,
      original_max_position_embeddings: c.ropeScaling.originalMaxPositionEmbeddings,
    },
    hidden_act: 'silu',
    tie_word_embeddings: c.tiedEmbeddings,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds,
    torch_dtype: 'float32',
  };
  if (c.architecture === 'mistral') json.sliding_window = c.slidingWindow;
  else if (c.slidingWindow !== null) Object.assign(json, { use_sliding_window: true, sliding_window: c.slidingWindow });
  return json;
}

/**
 * GGUF metadata for a config (without tokenizer keys). `ropeScaling` has no GGUF key: llama.cpp files carry Llama 3
 * scaling as a `rope_freqs.weight` tensor, which the caller writes.
 */
export function configToGgufMetadata(c: ModelConfig, name = 'webtune'): [string, GgufEntry][] {
  const a = c.architecture;
  const entries: [string, GgufEntry][] = [
    ['general.architecture', gguf.string(a)],
    ['general.name', gguf.string(name)],
    [`${a}.context_length`, gguf.u32(c.contextLength)],
    [`${a}.embedding_length`, gguf.u32(c.hiddenSize)],
    [`${a}.feed_forward_length`, gguf.u32(c.intermediateSize)],
    [`${a}.block_count`, gguf.u32(c.numLayers)],
    [`${a}.attention.head_count`, gguf.u32(c.numHeads)],
    [`${a}.attention.head_count_kv`, gguf.u32(c.numKvHeads)],
    [`${a}.attention.layer_norm_rms_epsilon`, gguf.f32(c.rmsNormEps)],
    [`${a}.rope.freq_base`, gguf.f32(c.ropeTheta)],
    [`${a}.rope.dimension_count`, gguf.u32(c.headDim)],
    [`${a}.vocab_size`, gguf.u32(c.vocabSize)],
  ];
  if (c.headDim * c.numHeads !== c.hiddenSize) {
    entries.push([`${a}.attention.key_length`, gguf.u32(c.headDim)], [`${a}.attention.value_length`, gguf.u32(c.headDim)]);
  }
  if (c.bosTokenId !== null) entries.push(['tokenizer.ggml.bos_token_id', gguf.u32(c.bosTokenId)]);
  if (c.eosTokenIds.length > 0) entries.push(['tokenizer.ggml.eos_token_id', gguf.u32(c.eosTokenIds[0])]);
  return entries;
}
