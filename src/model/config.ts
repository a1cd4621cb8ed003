/**
 * One model configuration for the Llama family, whatever file it came from. HF `config.json` and GGUF metadata name
 * the same numbers differently and differ in two ways that change the math: GGUF llama/mistral files have their
 * q/k rows permuted for interleaved-pair RoPE (`ropeLayout`), and Llama 3 frequency scaling is either parameters
 * (HF) or a `rope_freqs.weight` tensor of per-frequency divisors (GGUF, `ropeFreqsTensor`).
 */
import { ModelFormatError } from './errors';
import type { GgufFile } from './gguf/types';
import type { Llama3RopeScaling } from './rope-frequencies';

export type Architecture = 'llama' | 'mistral' | 'qwen2' | 'qwen3';
export const ARCHITECTURES: readonly Architecture[] = ['llama', 'mistral', 'qwen2', 'qwen3'];

/** The q/k row order of a GGUF file of this architecture: llama.cpp's converter interleaves llama/mistral rows. */
export function ggufRopeLayout(architecture: Architecture): RopeLayout {
  return architecture === 'qwen2' || architecture === 'qwen3' ? 'half' : 'interleaved';
}

/**
 * How RoPE pairs the dimensions of a head: 'half' rotates (i, i + headDim/2), Hugging Face's rotate_half and
 * llama.cpp's NEOX mode; 'interleaved' rotates (2i, 2i + 1), llama.cpp's NORM mode. llama.cpp's converter permutes
 * the q/k rows of llama-family checkpoints (LlamaModel.undo_permute) so they need 'interleaved'; it leaves Qwen2 and
 * Qwen3 rows alone and runs them with NEOX rope, so those GGUFs are 'half' like every HF checkpoint.
 */
export type RopeLayout = 'half' | 'interleaved';

export interface ModelConfig {
  architecture: Architecture;
  /** Biases on the q, k and v projections (Qwen2); never on o. */
  attentionBias: boolean;
  /** Per-head RMSNorm of q and k before RoPE, weights [headDim] (Qwen3). */
  qkNorm: boolean;
  /** The output projection is the token embedding (no separate `output` / `lm_head` tensor). */
  tiedEmbeddings: boolean;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  /** What the file declares as the maximum context (GGUF and HF may disagree for the same weights). */
  contextLength: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** Llama 3.1-style scaling parameters (HF configs), or null. */
  ropeScaling: Llama3RopeScaling | null;
  /** GGUF Llama 3.x: `rope_freqs.weight` [headDim/2] holds divisors for the inverse frequencies. */
  ropeFreqsTensor: boolean;
  ropeLayout: RopeLayout;
  /** Attention window in tokens where the model uses sliding-window attention (Mistral v0.1), else null. */
  slidingWindow: number | null;
  bosTokenId: number | null;
  /** Every id that ends generation (Llama 3 instruct has several). */
  eosTokenIds: number[];
}

const HF_ARCHITECTURES: Record<string, Architecture> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
};

type Json = Record<string, unknown>;

/** From a Hugging Face `config.json` (already parsed). SmolLM2 and TinyLlama are `LlamaForCausalLM`. */
export function configFromHf(json: unknown, file = 'config.json'): ModelConfig {
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('is not a JSON object');
  const c = json as Json;
  const archName = Array.isArray(c.architectures) ? String(c.architectures[0]) : undefined;
  const architecture = archName
    ? HF_ARCHITECTURES[archName]
    : ARCHITECTURES.find((a) => a === c.model_type);
  if (!architecture) {
    return fail(
      `architecture ${archName ?? `model_type ${JSON.stringify(c.model_type)}`} is not supported ` +
        `(${Object.keys(HF_ARCHITECTURES).join(', ')})`,
    );
  }
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (!Number.isSafeInteger(v) || (v as number) <= 0) fail(`'${key}' is ${JSON.stringify(c[key])}, expected a positive integer`);
    return v as number;
  };
  const num = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`'${key}' is ${JSON.stringify(v)}, expected a positive number`);
    return v as number;
  };
  if (c.hidden_act !== undefined && c.hidden_act !== 'silu') fail(`hidden_act '${c.hidden_act}' is not supported (silu only)`);
  if (c.mlp_bias === true) fail('mlp_bias is not supported');
  // Llama, Mistral and Qwen3 put attention_bias on all four projections, o included; only Qwen2's q/k/v biases are
  // supported.
  if (architecture !== 'qwen2' && c.attention_bias === true) fail(`attention_bias on ${archName} (o_proj bias) is not supported`);

  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const headDim = Number.isSafeInteger(c.head_dim) ? (c.head_dim as number) : hiddenSize / numHeads;
  if (!Number.isSafeInteger(headDim)) fail(`hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`);

  const ropeParams = (typeof c.rope_parameters === 'object' && c.rope_parameters !== null ? c.rope_parameters : {}) as Json;
  const ropeTheta = typeof c.rope_theta === 'number' ? c.rope_theta : (ropeParams.rope_theta as number | undefined) ?? 10000;
  const eos = c.eos_token_id;
  const eosTokenIds = Array.isArray(eos) ? eos.map(Number) : typeof eos === 'number' ? [eos] : [];
  const slidingWindow =
    architecture === 'mistral' || c.use_sliding_window === true ? ((c.sliding_window as number | null) ?? null) : null;

  return checkConfig(
    {
      architecture,
      attentionBias: architecture === 'qwen2',
      qkNorm: architecture === 'qwen3',
      tiedEmbeddings: c.tie_word_embeddings === true,
      hiddenSize,
      intermediateSize: int('intermediate_size'),
      numLayers: int('num_hidden_layers'),
      numHeads,
      numKvHeads: int('num_key_value_heads', numHeads),
      headDim,
      vocabSize: int('vocab_size'),
      contextLength: int('max_position_embeddings'),
      rmsNormEps: num('rms_norm_eps', 1e-6),
      ropeTheta,
      ropeScaling: hfRopeScaling(c.rope_scaling ?? (ropeParams.rope_type ? ropeParams : null), fail),
      ropeFreqsTensor: false,
      ropeLayout: 'half',
      slidingWindow,
      bosTokenId: typeof c.bos_token_id === 'number' ? c.bos_token_id : null,
      eosTokenIds,
    },
    file,
  );
}

function hfRopeScaling(s: unknown, fail: (problem: string) => never): Llama3RopeScaling | null {
  if (s === null || s === undefined) return null;
  const r = s as Json;
  const type = r.rope_type ?? r.type;
  if (type === 'default') return null;
  if (type !== 'llama3') return fail(`rope_scaling type ${JSON.stringify(type)} is not supported (llama3 only)`);
  const field = (key: string): number => {
    const v = r[key];
    if (typeof v !== 'number' || !(v > 0)) fail(`rope_scaling.${key} is ${JSON.stringify(v)}, expected a positive number`);
    return v as number;
  };
  return {
    factor: field('factor'),
    lowFreqFactor: field('low_freq_factor'),
    highFreqFactor: field('high_freq_factor'),
    originalMaxPositionEmbeddings: field('original_max_position_embeddings'),
  };
}

/** From GGUF metadata (`general.architecture` and its `<arch>.*` keys) and which tensors the file holds. */
export function configFromGguf(gguf: GgufFile): ModelConfig {
  const m = gguf.metadata;
  const file = gguf.source.name;
  const name = m.string('general.architecture');
  const architecture = ARCHITECTURES.find((a) => a === name);
  if (!architecture) {
    throw new ModelFormatError(file, `architecture '${name}' is not supported (${ARCHITECTURES.join(', ')})`);
  }
  const key = (k: string) => `${architecture}.${k}`;
  const hiddenSize = m.integer(key('embedding_length'));
  const numHeads = m.integer(key('attention.head_count'));
  const headDim = m.optionalInteger(key('attention.key_length')) ?? hiddenSize / numHeads;
  const valueDim = m.optionalInteger(key('attention.value_length'));
  if (valueDim !== undefined && valueDim !== headDim) {
    throw new ModelFormatError(file, `attention.value_length ${valueDim} differs from key_length ${headDim} (not supported)`);
  }
  const ropeDims = m.optionalInteger(key('rope.dimension_count'));
  if (ropeDims !== undefined && ropeDims !== headDim) {
    throw new ModelFormatError(file, `rope.dimension_count ${ropeDims} is not the head size ${headDim} (partial RoPE is not supported)`);
  }
  const scaling = m.optionalString(key('rope.scaling.type'));
  if (scaling !== undefined && scaling !== 'none') {
    throw new ModelFormatError(file, `rope.scaling.type '${scaling}' is not supported`);
  }
  const has = (t: string) => gguf.tensorByName.has(t);
  const vocabSize =
    m.optionalInteger(key('vocab_size')) ??
    m.optionalStringArray('tokenizer.ggml.tokens')?.length ??
    gguf.tensorByName.get('token_embd.weight')?.shape[0] ??
    0;
  const eosTokenIds = ['tokenizer.ggml.eos_token_id', 'tokenizer.ggml.eot_token_id', 'tokenizer.ggml.eom_token_id']
    .map((k) => m.optionalInteger(k))
    .filter((id): id is number => id !== undefined);

  return checkConfig(
    {
      architecture,
      attentionBias: architecture === 'qwen2' || has('blk.0.attn_q.bias'),
      qkNorm: architecture === 'qwen3',
      tiedEmbeddings: !has('output.weight'),
      hiddenSize,
      intermediateSize: m.integer(key('feed_forward_length')),
      numLayers: m.integer(key('block_count')),
      numHeads,
      numKvHeads: m.optionalInteger(key('attention.head_count_kv')) ?? numHeads,
      headDim,
      vocabSize,
      contextLength: m.integer(key('context_length')),
      rmsNormEps: f32Decimal(m.number(key('attention.layer_norm_rms_epsilon'))),
      ropeTheta: f32Decimal(m.optionalNumber(key('rope.freq_base')) ?? 10000),
      ropeScaling: null,
      ropeFreqsTensor: has('rope_freqs.weight'),
      ropeLayout: ggufRopeLayout(architecture),
      slidingWindow: null,
      bosTokenId: m.optionalInteger('tokenizer.ggml.bos_token_id') ?? null,
      eosTokenIds: [...new Set(eosTokenIds)],
    },
    file,
  );
}

/**
 * GGUF stores eps and theta as float32; 1e-5 arrives as 9.99999974e-6. The shortest decimal that rounds to the same
 * float32 gives back the number the model was configured with.
 */
function f32Decimal(x: number): number {
  if (Math.fround(x) !== x) return x;
  for (let digits = 1; digits <= 9; digits++) {
    const v = Number(x.toPrecision(digits));
    if (Math.fround(v) === x) return v;
  }
  return x;
}

function checkConfig(c: ModelConfig, file: string): ModelConfig {
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  for (const k of ['hiddenSize', 'intermediateSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'vocabSize', 'contextLength'] as const) {
    if (!Number.isSafeInteger(c[k]) || c[k] <= 0) fail(`${k} is ${c[k]}, expected a positive integer`);
  }
  if (c.numHeads % c.numKvHeads !== 0) fail(`${c.numHeads} attention heads is not a multiple of ${c.numKvHeads} KV heads`);
  if (c.headDim % 2 !== 0) fail(`head size ${c.headDim} is odd (RoPE needs pairs)`);
  if (!(c.rmsNormEps > 0) || !(c.ropeTheta > 0)) fail(`rms_norm_eps ${c.rmsNormEps} / rope theta ${c.ropeTheta} must be positive`);
  return c;
}
