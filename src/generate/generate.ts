/**
 * The generation loop: prefill the prompt, then decode one token at a time with the model's KV cache, sampling
 * each next token on the host. Streams tokens and text, stops on EOS, stop strings, the token budget, the
 * context length, or an AbortSignal, and reports prefill and decode speed.
 */
import { Sampler, type SamplingOptions } from './sampler';

/** What generation needs from a model: one forward over new tokens at a position, returning the last logits. */
export interface CausalLM {
  readonly contextLength: number;
  readonly vocabSize: number;
  /** Runs `tokens` at positions start.. (the KV cache holds positions < start) and returns logits [V] of the last. */
  forward(tokens: readonly number[], start: number): Promise<Float32Array>;
}

/** What generation needs from a tokenizer. */
export interface GenerationTokenizer {
  decode(ids: readonly number[]): string;
  readonly eosIds: readonly number[];
}

export interface GenerateOptions extends SamplingOptions {
  maxTokens: number;
  stop?: string[];
  signal?: AbortSignal;
  /** What to do with a prompt that leaves no room in the context: refuse (default) or drop its oldest tokens. */
  overflow?: 'error' | 'truncate';
}

export interface GenerationStep {
  id: number;
  /**
   * Text generated so far that is safe to show: complete characters only, and without a tail that could still
   * become a stop string. Each step's text extends the previous one, and the final text extends them all.
   */
  text: string;
}

export interface GenerationResult {
  ids: number[];
  text: string;
  stopReason: 'eos' | 'stop-string' | 'max-tokens' | 'context' | 'aborted';
  promptTokens: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export class PromptTooLongError extends Error {
  override name = 'PromptTooLongError';
}

export async function generate(
  model: CausalLM,
  tokenizer: GenerationTokenizer,
  promptIds: readonly number[],
  options: GenerateOptions,
  onStep?: (step: GenerationStep) => void,
): Promise<GenerationResult> {
  const sampler = new Sampler(options);
  let prompt = [...promptIds];
  if (prompt.length === 0) throw new PromptTooLongError('the prompt is empty: nothing to continue from');
  if (prompt.length >= model.contextLength) {
    if (options.overflow !== 'truncate') {
      throw new PromptTooLongError(
        `the prompt has ${prompt.length} tokens; the model's context holds ${model.contextLength}. ` +
          `Shorten it, or allow truncation (drops the oldest tokens).`,
      );
    }
    prompt = prompt.slice(prompt.length - model.contextLength + 1);
  }
  const context = [...prompt];
  const generated: number[] = [];
  let text = '';
  let stopReason: GenerationResult['stopReason'] = 'max-tokens';

  const t0 = performance.now();
  let logits = await model.forward(prompt, 0);
  const prefillMs = performance.now() - t0;
  const t1 = performance.now();

  while (generated.length < options.maxTokens) {
    if (options.signal?.aborted) {
      stopReason = 'aborted';
      break;
    }
    const id = sampler.sample(logits, context);
    if (tokenizer.eosIds.includes(id)) {
      stopReason = 'eos';
      break;
    }
    generated.push(id);
    context.push(id);
    text = tokenizer.decode(generated);
    const stopAt = firstStop(text, options.stop);
    if (stopAt >= 0) {
      text = text.slice(0, stopAt);
      stopReason = 'stop-string';
      onStep?.({ id, text });
      break;
    }
    onStep?.({ id, text: holdBack(completeText(text), options.stop) });
    if (generated.length >= options.maxTokens) break;
    if (context.length >= model.contextLength) {
      stopReason = 'context';
      break;
    }
    logits = await model.forward([id], context.length - 1);
  }
  const decodeMs = performance.now() - t1;
  return {
    ids: generated,
    text,
    stopReason,
    promptTokens: prompt.length,
    prefillTokensPerSecond: prompt.length / Math.max(prefillMs / 1000, 1e-9),
    decodeTokensPerSecond: generated.length / Math.max(decodeMs / 1000, 1e-9),
  };
}

function firstStop(text: string, stops: string[] | undefined): number {
  let at = -1;
  for (const s of stops ?? []) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/** Holds back the longest tail of `text` that is the start of a stop string (it may complete next step). */
function holdBack(text: string, stops: string[] | undefined): string {
  let keep = text.length;
  for (const s of stops ?? []) {
    for (let n = Math.min(s.length - 1, text.length); n > 0; n--) {
      if (text.endsWith(s.slice(0, n))) {
        keep = Math.min(keep, text.length - n);
        break;
      }
    }
  }
  return text.slice(0, keep);
}

/** Drops a trailing replacement character: a multi-byte character split across tokens is not complete yet. */
function completeText(text: string): string {
  return text.endsWith('\uFFFD') ? text.slice(0, -1) : text;
}
