/**
 * Canonical tensor names for the Llama family and their spellings in GGUF (`blk.N.attn_q.weight`) and Hugging Face
 * (`model.layers.N.self_attn.q_proj.weight`), the shapes a config implies, and the load-time check that a file
 * holds exactly what the config says. Shapes are row-major in both formats ([out, in] for a linear weight; GGUF's
 * innermost-first ne is reversed by the reader), so one table of expected shapes serves both.
 */
import type { ModelConfig } from './config';
import { ModelFormatError } from './errors';
import type { GgmlTypeName } from './ggml-types';

export type LayerRole =
  | 'attn_norm'
  | 'attn_q'
  | 'attn_k'
  | 'attn_v'
  | 'attn_o'
  | 'attn_q_bias'
  | 'attn_k_bias'
  | 'attn_v_bias'
  | 'q_norm'
  | 'k_norm'
  | 'ffn_norm'
  | 'ffn_gate'
  | 'ffn_up'
  | 'ffn_down';
export type GlobalRole = 'token_embd' | 'output_norm' | 'output' | 'rope_freqs';
export type TensorFormat = 'gguf' | 'hf';

const LAYER_NAMES: Record<LayerRole, Record<TensorFormat, string>> = {
  attn_norm: { gguf: 'attn_norm.weight', hf: 'input_layernorm.weight' },
  attn_q: { gguf: 'attn_q.weight', hf: 'self_attn.q_proj.weight' },
  attn_k: { gguf: 'attn_k.weight', hf: 'self_attn.k_proj.weight' },
  attn_v: { gguf: 'attn_v.weight', hf: 'self_attn.v_proj.weight' },
  attn_o: { gguf: 'attn_output.weight', hf: 'self_attn.o_proj.weight' },
  attn_q_bias: { gguf: 'attn_q.bias', hf: 'self_attn.q_proj.bias' },
  attn_k_bias: { gguf: 'attn_k.bias', hf: 'self_attn.k_proj.bias' },
  attn_v_bias: { gguf: 'attn_v.bias', hf: 'self_attn.v_proj.bias' },
  q_norm: { gguf: 'attn_q_norm.weight', hf: 'self_attn.q_norm.weight' },
  k_norm: { gguf: 'attn_k_norm.weight', hf: 'self_attn.k_norm.weight' },
  ffn_norm: { gguf: 'ffn_norm.weight', hf: 'post_attention_layernorm.weight' },
  ffn_gate: { gguf: 'ffn_gate.weight', hf: 'mlp.gate_proj.weight' },
  ffn_up: { gguf: 'ffn_up.weight', hf: 'mlp.up_proj.weight' },
  ffn_down: { gguf: 'ffn_down.weight', hf: 'mlp.down_proj.weight' },
};

const GLOBAL_NAMES: Record<GlobalRole, Record<TensorFormat, string | null>> = {
  token_embd: { gguf: 'token_embd.weight', hf: 'model.embed_tokens.weight' },
  output_norm: { gguf: 'output_norm.weight', hf: 'model.norm.weight' },
  output: { gguf: 'output.weight', hf: 'lm_head.weight' },
  rope_freqs: { gguf: 'rope_freqs.weight', hf: null },
};

const LAYER_PREFIX: Record<TensorFormat, string> = { gguf: 'blk.', hf: 'model.layers.' };

/** The canonical key: `token_embd`, `output`, ... for globals; `layers.3.attn_q` for layer tensors. */
export function canonicalKey(role: LayerRole | GlobalRole, layer?: number): string {
  return layer === undefined ? role : `layers.${layer}.${role}`;
}

/** A canonical tensor's name in a file format (null: the format has no such tensor). */
export function fileTensorName(format: TensorFormat, role: LayerRole | GlobalRole, layer?: number): string | null {
  if (layer === undefined) return GLOBAL_NAMES[role as GlobalRole][format];
  return `${LAYER_PREFIX[format]}${layer}.${LAYER_NAMES[role as LayerRole][format]}`;
}

/** The inverse of `fileTensorName`: null for names outside the Llama family's tensors. */
export function parseTensorName(
  format: TensorFormat,
  name: string,
): { role: LayerRole | GlobalRole; layer?: number } | null {
  for (const role of Object.keys(GLOBAL_NAMES) as GlobalRole[]) {
    if (GLOBAL_NAMES[role][format] === name) return { role };
  }
  const prefix = LAYER_PREFIX[format];
  if (!name.startsWith(prefix)) return null;
  const dot = name.indexOf('.', prefix.length);
  const layer = Number(name.slice(prefix.length, dot));
  if (dot < 0 || !Number.isSafeInteger(layer) || layer < 0) return null;
  const rest = name.slice(dot + 1);
  const role = (Object.keys(LAYER_NAMES) as LayerRole[]).find((r) => LAYER_NAMES[r][format] === rest);
  return role ? { role, layer } : null;
}

export interface ExpectedTensor {
  key: string;
  role: LayerRole | GlobalRole;
  layer?: number;
  shape: number[];
}

/** Every tensor a config implies, with its row-major shape. */
export function expectedTensors(c: ModelConfig): ExpectedTensor[] {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const H = c.hiddenSize;
  const out: ExpectedTensor[] = [];
  const add = (role: LayerRole | GlobalRole, shape: number[], layer?: number) =>
    out.push({ key: canonicalKey(role, layer), role, layer, shape });
  add('token_embd', [c.vocabSize, H]);
  add('output_norm', [H]);
  if (!c.tiedEmbeddings) add('output', [c.vocabSize, H]);
  if (c.ropeFreqsTensor) add('rope_freqs', [c.headDim / 2]);
  for (let l = 0; l < c.numLayers; l++) {
    add('attn_norm', [H], l);
    add('attn_q', [q, H], l);
    add('attn_k', [kv, H], l);
    add('attn_v', [kv, H], l);
    add('attn_o', [H, q], l);
    if (c.attentionBias) {
      add('attn_q_bias', [q], l);
      add('attn_k_bias', [kv], l);
      add('attn_v_bias', [kv], l);
    }
    if (c.qkNorm) {
      add('q_norm', [c.headDim], l);
      add('k_norm', [c.headDim], l);
    }
    add('ffn_norm', [H], l);
    add('ffn_gate', [c.intermediateSize, H], l);
    add('ffn_up', [c.intermediateSize, H], l);
    add('ffn_down', [H, c.intermediateSize], l);
  }
  return out;
}

/** One weight of a loaded model, in its file's encoding (possibly quantized), read on demand. */
export interface WeightRef {
  /** Canonical key (`layers.0.attn_q`). */
  key: string;
  /** Name inside its file. */
  name: string;
  /** File holding it (one shard of a sharded checkpoint). */
  file: string;
  shape: number[];
  dtype: GgmlTypeName;
  byteSize: number;
  read(range?: { offset: number; length: number }): Promise<Uint8Array>;
}

export interface ModelWeights {
  format: TensorFormat;
  config: ModelConfig;
  /** By canonical key; `output` is absent when embeddings are tied. */
  tensors: Map<string, WeightRef>;
  /** Tensors in the files that the model does not use (e.g. a saved `lm_head` of a tied model). */
  unused: string[];
}

/**
 * Matches a file's tensors (by file name → ref without key) against the config: every expected tensor present with
 * its exact shape, or a ModelFormatError naming the file, the tensor and both shapes.
 */
export function matchWeights(
  format: TensorFormat,
  config: ModelConfig,
  available: ReadonlyMap<string, Omit<WeightRef, 'key'>>,
  fileLabel: string,
): ModelWeights {
  const tensors = new Map<string, WeightRef>();
  const used = new Set<string>();
  const embd = available.get(fileTensorName(format, 'token_embd')!);
  if (embd && embd.shape.length === 2 && embd.shape[0] !== config.vocabSize) {
    throw new ModelFormatError(
      embd.file,
      `vocabulary size ${config.vocabSize} disagrees with the embedding '${embd.name}' of ${embd.shape[0]} rows`,
    );
  }
  for (const t of expectedTensors(config)) {
    const name = fileTensorName(format, t.role, t.layer)!;
    const ref = available.get(name);
    if (!ref) throw new ModelFormatError(fileLabel, `tensor '${name}' is missing (${config.architecture}, ${config.numLayers} layers)`);
    if (ref.shape.length !== t.shape.length || ref.shape.some((d, i) => d !== t.shape[i])) {
      throw new ModelFormatError(
        ref.file,
        `tensor '${name}' has shape [${ref.shape.join(', ')}] but the config implies [${t.shape.join(', ')}]`,
      );
    }
    tensors.set(t.key, { ...ref, key: t.key });
    used.add(name);
  }
  const unused = [...available.keys()].filter((n) => !used.has(n));
  for (const name of unused) {
    const parsed = parseTensorName(format, name);
    // A Llama-family tensor the config does not account for (an extra layer, a bias or norm the architecture lacks)
    // means the config and the weights disagree; only a saved lm_head of a tied model is harmless.
    if (parsed && parsed.role !== 'output') {
      throw new ModelFormatError(
        available.get(name)!.file,
        `tensor '${name}' is not part of the model the config describes ` +
          `(${config.architecture}, ${config.numLayers} layers, attentionBias ${config.attentionBias}, qkNorm ${config.qkNorm})`,
      );
    }
  }
  return { format, config, tensors, unused };
}
