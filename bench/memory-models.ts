/**
 * The configurations bench:memory estimates, as their Hugging Face config.json files give them (the shapes only:
 * layers, widths, heads, vocabulary, tied head). SmolLM2-135M's own file is in shared/models; the others are
 * written out here from the published config.json of each repository.
 */
export const MEMORY_MODELS: { name: string; repo: string; config: Record<string, unknown> }[] = [
  llama('SmolLM2-135M', 'HuggingFaceTB/SmolLM2-135M-Instruct', { hidden: 576, inter: 1536, layers: 30, heads: 9, kv: 3, vocab: 49152, tied: true }),
  llama('SmolLM2-360M', 'HuggingFaceTB/SmolLM2-360M-Instruct', { hidden: 960, inter: 2560, layers: 32, heads: 15, kv: 5, vocab: 49152, tied: true }),
  qwen2('Qwen2.5-0.5B', 'Qwen/Qwen2.5-0.5B-Instruct', { hidden: 896, inter: 4864, layers: 24, heads: 14, kv: 2, vocab: 151936, tied: true }),
  qwen2('Qwen2.5-1.5B', 'Qwen/Qwen2.5-1.5B-Instruct', { hidden: 1536, inter: 8960, layers: 28, heads: 12, kv: 2, vocab: 151936, tied: true }),
  llama('Llama-3.2-1B', 'meta-llama/Llama-3.2-1B-Instruct', { hidden: 2048, inter: 8192, layers: 16, heads: 32, kv: 8, vocab: 128256, tied: true, headDim: 64 }),
  llama('Llama-3.2-3B', 'meta-llama/Llama-3.2-3B-Instruct', { hidden: 3072, inter: 8192, layers: 28, heads: 24, kv: 8, vocab: 128256, tied: true, headDim: 128 }),
  llama('Llama-3.1-8B', 'meta-llama/Llama-3.1-8B-Instruct', { hidden: 4096, inter: 14336, layers: 32, heads: 32, kv: 8, vocab: 128256, tied: false, headDim: 128 }),
];

interface Shape {
  hidden: number;
  inter: number;
  layers: number;
  heads: number;
  kv: number;
  vocab: number;
  tied: boolean;
  headDim?: number;
}

function common(s: Shape) {
  return {
    hidden_size: s.hidden,
    intermediate_size: s.inter,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kv,
    vocab_size: s.vocab,
    tie_word_embeddings: s.tied,
    max_position_embeddings: 8192,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    ...(s.headDim ? { head_dim: s.headDim } : {}),
  };
}

function llama(name: string, repo: string, s: Shape) {
  return { name, repo, config: { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...common(s) } };
}

function qwen2(name: string, repo: string, s: Shape) {
  return { name, repo, config: { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', ...common(s) } };
}
