import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFromGguf, configFromHf, type ModelConfig } from './config';
import { configToGgufMetadata, configToHfJson } from './config-export';
import { fixtureGguf } from './fixtures';
import { readGguf } from './gguf/reader';
import { bytesSource, concatBytes } from './source';
import { fileSource } from './source-node';
import type { GgufEntry } from './gguf/types';
import { encodeGguf, gguf, type GgufWriteTensor } from './gguf/writer';

const MODELS = fileURLToPath(new URL('../../../shared/models/', import.meta.url));
const json = (path: string) => JSON.parse(readFileSync(`${MODELS}${path}`, 'utf8'));

const STORIES: ModelConfig = {
  architecture: 'llama',
  attentionBias: false,
  qkNorm: false,
  tiedEmbeddings: true,
  hiddenSize: 64,
  intermediateSize: 172,
  numLayers: 5,
  numHeads: 8,
  numKvHeads: 4,
  headDim: 8,
  vocabSize: 512,
  contextLength: 512,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeScaling: null,
  ropeFreqsTensor: false,
  ropeLayout: 'half',
  slidingWindow: null,
  bosTokenId: 1,
  eosTokenIds: [2],
};

// Abridged real configs (Qwen/Qwen2.5-0.5B-Instruct, Qwen/Qwen3-0.6B, mistralai/Mistral-7B-v0.1,
// meta-llama/Llama-3.2-1B-Instruct): the fields the normalizer reads, as published.
const QWEN2 = {
  architectures: ['Qwen2ForCausalLM'],
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  vocab_size: 151936,
  max_position_embeddings: 32768,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  rope_scaling: null,
  sliding_window: 32768,
  use_sliding_window: false,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  bos_token_id: 151643,
  eos_token_id: 151645,
};
const QWEN3 = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  head_dim: 128,
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  vocab_size: 151936,
  max_position_embeddings: 40960,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  rope_scaling: null,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  bos_token_id: 151643,
  eos_token_id: 151645,
};
const MISTRAL = {
  architectures: ['MistralForCausalLM'],
  hidden_size: 4096,
  intermediate_size: 14336,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  vocab_size: 32000,
  max_position_embeddings: 32768,
  rms_norm_eps: 1e-5,
  rope_theta: 10000.0,
  sliding_window: 4096,
  tie_word_embeddings: false,
  hidden_act: 'silu',
  bos_token_id: 1,
  eos_token_id: 2,
};
const LLAMA32 = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  head_dim: 64,
  hidden_size: 2048,
  intermediate_size: 8192,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  vocab_size: 128256,
  max_position_embeddings: 131072,
  rms_norm_eps: 1e-5,
  rope_theta: 500000.0,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  tie_word_embeddings: true,
  mlp_bias: false,
  hidden_act: 'silu',
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
};

describe('configFromHf', () => {
  it('stories260K config.json', () => {
    expect(configFromHf(json('stories260K/hf/config.json'))).toEqual(STORIES);
  });

  it('SmolLM2-135M-Instruct config.json is a tied Llama', () => {
    const c = configFromHf(json('SmolLM2-135M-Instruct-tokenizer/config.json'));
    expect(c).toMatchObject({
      architecture: 'llama',
      hiddenSize: 576,
      intermediateSize: 1536,
      numLayers: 30,
      numHeads: 9,
      numKvHeads: 3,
      headDim: 64,
      vocabSize: 49152,
      contextLength: 8192,
      ropeTheta: 100000,
      rmsNormEps: 1e-5,
      tiedEmbeddings: true,
      ropeLayout: 'half',
      ropeScaling: null,
      bosTokenId: 1,
      eosTokenIds: [2],
    });
  });

  it('Qwen2 has q/k/v biases; Qwen3 has qk-norm and a head size apart from hidden/heads', () => {
    expect(configFromHf(QWEN2)).toMatchObject({
      architecture: 'qwen2',
      attentionBias: true,
      qkNorm: false,
      headDim: 64,
      numKvHeads: 2,
      ropeTheta: 1e6,
      rmsNormEps: 1e-6,
      tiedEmbeddings: true,
      slidingWindow: null,
      eosTokenIds: [151645],
    });
    expect(configFromHf(QWEN3)).toMatchObject({ architecture: 'qwen3', attentionBias: false, qkNorm: true, headDim: 128 });
  });

  it('Mistral keeps its sliding window; Llama 3.2 its rope scaling and several eos ids', () => {
    expect(configFromHf(MISTRAL)).toMatchObject({ architecture: 'mistral', slidingWindow: 4096, tiedEmbeddings: false });
    expect(configFromHf(LLAMA32)).toMatchObject({
      ropeScaling: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
      eosTokenIds: [128001, 128008, 128009],
      headDim: 64,
    });
    const { rope_theta: _, rope_scaling: __, ...v5 } = LLAMA32;
    expect(configFromHf({ ...v5, rope_parameters: { rope_type: 'default', rope_theta: 500000 } })).toMatchObject({
      ropeTheta: 500000,
      ropeScaling: null,
    });
  });

  it('refuses what it cannot run, naming the file and the problem', () => {
    const bad = (over: object) => () => configFromHf({ ...QWEN3, ...over }, 'cfg.json');
    expect(bad({ architectures: ['GPT2LMHeadModel'] })).toThrow(/cfg\.json: architecture GPT2LMHeadModel is not supported/);
    expect(bad({ architectures: ['MixtralForCausalLM'] })).toThrow(/MixtralForCausalLM is not supported/);
    expect(() => configFromHf({ model_type: 'gemma2' })).toThrow(/model_type "gemma2" is not supported/);
    expect(bad({ rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(/rope_scaling type "yarn" is not supported/);
    expect(bad({ rope_scaling: { rope_type: 'llama3', factor: 8 } })).toThrow(/rope_scaling.low_freq_factor is undefined/);
    expect(bad({ hidden_act: 'gelu' })).toThrow(/hidden_act 'gelu' is not supported/);
    expect(bad({ attention_bias: true })).toThrow(/attention_bias on Qwen3ForCausalLM/);
    expect(bad({ mlp_bias: true })).toThrow(/mlp_bias/);
    expect(bad({ num_hidden_layers: 0 })).toThrow(/'num_hidden_layers' is 0, expected a positive integer/);
    expect(bad({ num_key_value_heads: 5 })).toThrow(/16 attention heads is not a multiple of 5 KV heads/);
    expect(bad({ head_dim: undefined, hidden_size: 1000 })).toThrow(/hidden_size 1000 is not a multiple/);
    expect(() => configFromHf([1], 'x.json')).toThrow(/x\.json: is not a JSON object/);
  });

  it('round-trips through configToHfJson', () => {
    for (const raw of [QWEN2, QWEN3, MISTRAL, LLAMA32, json('stories260K/hf/config.json')]) {
      const c = configFromHf(raw);
      expect(configFromHf(configToHfJson(c))).toEqual(c);
    }
  });
});

describe('configFromGguf', () => {
  it('stories260K.gguf: the same numbers as its HF folder, except rope layout, tying and declared context', async () => {
    const source = await fileSource(`${MODELS}stories260K/stories260K.gguf`);
    const c = configFromGguf(await readGguf(source));
    await source.close?.();
    expect(c).toEqual({ ...STORIES, ropeLayout: 'interleaved', tiedEmbeddings: false, contextLength: 2048 });
    expect(c.rmsNormEps).toBe(1e-5); // stored as float32 9.99999974e-6
  });

  it('rope layout per architecture as llama.cpp runs it: NORM for llama/mistral, NEOX for qwen2/qwen3', async () => {
    const layouts: Record<string, string> = {};
    for (const raw of [LLAMA32, MISTRAL, QWEN2, QWEN3]) {
      const hf = configFromHf(raw);
      const small = { ...hf, hiddenSize: 2 * hf.headDim, numHeads: 2, numKvHeads: 1, numLayers: 1, intermediateSize: 8, vocabSize: 16 };
      const c = configFromGguf(await readGguf(bytesSource(fixtureGguf(small, { zeros: true }))));
      layouts[c.architecture] = c.ropeLayout;
      expect(c).toEqual({
        ...small,
        ropeLayout: c.ropeLayout,
        ropeScaling: null,
        slidingWindow: null,
        eosTokenIds: small.eosTokenIds.slice(0, 1),
      });
    }
    expect(layouts).toEqual({ llama: 'interleaved', mistral: 'interleaved', qwen2: 'half', qwen3: 'half' });
  });

  /** stories260K's metadata with keys replaced (null removes one), plus optional tensors. */
  async function ggufWith(changes: Record<string, GgufEntry | null>, tensors: GgufWriteTensor[] = []) {
    const meta = new Map(configToGgufMetadata(STORIES));
    for (const [k, v] of Object.entries(changes)) {
      if (v) meta.set(k, v);
      else meta.delete(k);
    }
    return readGguf(bytesSource(concatBytes(encodeGguf({ metadata: meta, tensors })), 'm.gguf'));
  }

  it('reads optional keys: rope_freqs tensor, eot id, absent head_count_kv and freq_base', async () => {
    const ropeFreqs: GgufWriteTensor = { name: 'rope_freqs.weight', shape: [4], type: 'F32', data: new Uint8Array(16) };
    const c = configFromGguf(
      await ggufWith(
        {
          'tokenizer.ggml.eot_token_id': gguf.u32(7),
          'llama.attention.head_count_kv': null,
          'llama.rope.freq_base': null,
        },
        [ropeFreqs],
      ),
    );
    expect(c).toMatchObject({ numKvHeads: 8, ropeFreqsTensor: true, eosTokenIds: [2, 7], ropeTheta: 10000 });
  });

  it('refuses unknown architectures, rope scaling types, partial rope, missing keys', async () => {
    const refused = async (changes: Record<string, GgufEntry | null>) => {
      const file = await ggufWith(changes);
      return () => configFromGguf(file);
    };
    expect(await refused({ 'general.architecture': gguf.string('gpt2') })).toThrow(
      /m\.gguf: architecture 'gpt2' is not supported \(llama, mistral, qwen2, qwen3\)/,
    );
    expect(await refused({ 'llama.rope.scaling.type': gguf.string('yarn') })).toThrow(/rope.scaling.type 'yarn' is not supported/);
    expect(await refused({ 'llama.rope.dimension_count': gguf.u32(4) })).toThrow(/partial RoPE/);
    expect(await refused({ 'llama.feed_forward_length': null })).toThrow(
      "m.gguf: metadata key 'llama.feed_forward_length' is missing",
    );
    expect(await refused({ 'llama.block_count': gguf.string('5') })).toThrow(/'llama.block_count' is string, expected an integer/);
  });
});
