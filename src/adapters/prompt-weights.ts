/**
 * A prompt-tuning adapter in memory (Lester et al. 2021, PEFT's PROMPT_TUNING), independent of any file format: P
 * virtual-token embeddings [P, C] that go before every sequence, and how they were initialised. What the trainer
 * fills, the PEFT exporter writes and the importer returns. The base's fingerprint travels with it as for LoRA;
 * only its hidden size matters to the prompt (its width). It changes no weight, so it cannot be merged.
 */
import type { ModelConfig } from '../model/config';
import { AdapterMismatchError } from './fit';
import { baseShapeOf, type LoraBaseShape } from './lora-weights';

/** Why a prompt-tuning adapter has no merged model (nor a llama.cpp LoRA file): it is an input, not a weight change. */
export const PROMPT_CANNOT_MERGE =
  'a prompt-tuning adapter cannot be merged into the model: its virtual tokens are inputs placed before every prompt, not a change to any weight';

/** PEFT's PromptTuningInit: the embeddings of a text's tokens, of tokens drawn from the vocabulary, or N(0, 1). */
export type PromptInit = 'TEXT' | 'SAMPLE_VOCAB' | 'RANDOM';

export interface PromptAdapterConfig {
  virtualTokens: number;
  /** The embeddings' width (PEFT's token_dim): the base's hidden size. */
  tokenDim: number;
  init: PromptInit;
  /** The text whose tokens started the prompt (TEXT). */
  initText: string | null;
  /** Name or path of the base model (PEFT's base_model_name_or_path, and its tokenizer_name_or_path for TEXT). */
  baseModel: string;
  base: LoraBaseShape;
}

export interface PromptAdapter {
  config: PromptAdapterConfig;
  /** [P, C] row-major. */
  embeddings: Float32Array;
}

/** Refuses an adapter whose sizes do not hold together, naming what is wrong. */
export function validatePromptAdapter(adapter: PromptAdapter): void {
  const { config, embeddings } = adapter;
  const fail = (problem: string): never => {
    throw new RangeError(`prompt-tuning adapter for '${config.baseModel}': ${problem}`);
  };
  const { virtualTokens: p, tokenDim: c } = config;
  if (!Number.isInteger(p) || p < 1) fail(`${p} virtual tokens (at least 1)`);
  if (!Number.isInteger(c) || c < 1) fail(`token width ${c}`);
  if (embeddings.length !== p * c) fail(`${embeddings.length} values, but ${p} virtual tokens × ${c} need ${p * c}`);
  if (config.base.hiddenSize !== null && config.base.hiddenSize !== c) fail(`its embeddings are ${c} wide, its base's hidden size ${config.base.hiddenSize}`);
  if (!embeddings.every(Number.isFinite)) fail('an embedding holds a value that is not finite');
}

/** Checks the adapter against a loaded base: its width must be the base's hidden size. */
export function promptOnBase(adapter: PromptAdapter, config: ModelConfig, name: string): PromptAdapter {
  if (adapter.config.tokenDim !== config.hiddenSize) {
    throw new AdapterMismatchError(
      `prompt-tuning adapter for '${adapter.config.baseModel}' has ${adapter.config.tokenDim}-wide virtual tokens; base '${name}' embeds tokens ${config.hiddenSize} wide`,
    );
  }
  const fitted = { ...adapter, config: { ...adapter.config, base: baseShapeOf(config) } };
  validatePromptAdapter(fitted);
  return fitted;
}
