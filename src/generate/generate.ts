/**
 * The generation loop: prefill the prompt, then decode one token at a time with the model's KV cache, sampling
 * each next token on the host; or the same for one prompt continued N ways in one batch (generateBatch). Streams
 * tokens and text, stops on EOS, stop strings, the token budget, the context length, or an AbortSignal, and
 * reports prefill and decode speed.
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

/** What batched generation needs: N sequences in lockstep, each one's tokens at the same positions. */
export interface BatchedCausalLM {
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly sequences: number;
  /** Runs each sequence's `tokens[j]` (as many for each) at positions start..; returns each one's last logits [V]. */
  forwardBatch(tokens: readonly (readonly number[])[], start: number): Promise<Float32Array[]>;
}

export async function generate(
  model: CausalLM,
  tokenizer: GenerationTokenizer,
  promptIds: readonly number[],
  options: GenerateOptions,
  onStep?: (step: GenerationStep) => void,
): Promise<GenerationResult> {
  const prompt = fitPrompt(promptIds, model.contextLength, options.overflow);
  const t0 = performance.now();
  let logits = await model.forward(prompt, 0);
  const prefillMs = performance.now() - t0;
  const t1 = performance.now();
  const c = new Continuation(tokenizer, prompt, model.contextLength, options, onStep);
  for (let next = c.step(logits); next !== null; next = c.step(logits)) {
    logits = await model.forward([next], c.position);
  }
  return c.result(prompt.length / Math.max(prefillMs / 1000, 1e-9), performance.now() - t1);
}

/**
 * One prompt continued N ways at once (`options[j]` for sequence j: its own sampling and seed, stops and budget),
 * every step one batched forward of all N. A sequence that has finished keeps its row in the batch (fed its last
 * token, the result unused) until all have: the batch's shape, and so every kernel's, stays the same.
 */
export async function generateBatch(
  model: BatchedCausalLM,
  tokenizer: GenerationTokenizer,
  promptIds: readonly number[],
  options: readonly GenerateOptions[],
  onStep?: (sequence: number, step: GenerationStep) => void,
): Promise<GenerationResult[]> {
  if (options.length !== model.sequences) {
    throw new RangeError(`generateBatch: options for ${options.length} sequences; the model decodes ${model.sequences}`);
  }
  const prompt = fitPrompt(promptIds, model.contextLength, options[0].overflow);
  const t0 = performance.now();
  let logits = await model.forwardBatch(options.map(() => prompt), 0);
  const prefillMs = performance.now() - t0;
  const prefillRate = prompt.length / Math.max(prefillMs / 1000, 1e-9);
  const t1 = performance.now();
  const runs = options.map((o, j) => new Continuation(tokenizer, prompt, model.contextLength, o, onStep && ((s) => onStep(j, s))));
  const decodeMs = new Array<number>(runs.length).fill(0);
  let fed = runs.map(() => prompt[prompt.length - 1]);
  let position = prompt.length;
  for (;;) {
    const next = runs.map((c, j) => {
      if (c.finished) return null;
      const id = c.step(logits[j]);
      if (id === null) decodeMs[j] = performance.now() - t1;
      return id;
    });
    if (runs.every((c) => c.finished)) break;
    fed = next.map((id, j) => id ?? fed[j]);
    logits = await model.forwardBatch(fed.map((id) => [id]), position);
    position++;
  }
  return runs.map((c, j) => c.result(prefillRate, decodeMs[j]));
}

/** The prompt as it fits the context: refused (default) or cut to its newest tokens. */
function fitPrompt(promptIds: readonly number[], contextLength: number, overflow: GenerateOptions['overflow']): number[] {
  const prompt = [...promptIds];
  if (prompt.length === 0) throw new PromptTooLongError('the prompt is empty: nothing to continue from');
  if (prompt.length < contextLength) return prompt;
  if (overflow !== 'truncate') {
    throw new PromptTooLongError(
      `the prompt has ${prompt.length} tokens; the model's context holds ${contextLength}. ` +
        `Shorten it, or allow truncation (drops the oldest tokens).`,
    );
  }
  return prompt.slice(prompt.length - contextLength + 1);
}

/**
 * One sequence's continuation: takes the logits after its context and picks the next token, or says it is done
 * (EOS, a stop string, the budget, the context, an abort), streaming the text as it grows.
 */
class Continuation {
  private readonly sampler: Sampler;
  private readonly context: number[];
  private readonly generated: number[] = [];
  private text = '';
  private stopReason: GenerationResult['stopReason'] | null = null;

  constructor(
    private readonly tokenizer: GenerationTokenizer,
    private readonly prompt: readonly number[],
    private readonly contextLength: number,
    private readonly options: GenerateOptions,
    private readonly onStep?: (step: GenerationStep) => void,
  ) {
    this.sampler = new Sampler(options);
    this.context = [...prompt];
  }

  get finished(): boolean {
    return this.stopReason !== null;
  }

  /** The position of the token `step` returned (where the next forward runs it). */
  get position(): number {
    return this.context.length - 1;
  }

  /** The next token to run, or null when the continuation has ended. */
  step(logits: Float32Array): number | null {
    const { options, tokenizer } = this;
    if (this.generated.length >= options.maxTokens) return this.stop('max-tokens');
    if (options.signal?.aborted) return this.stop('aborted');
    const id = this.sampler.sample(logits, this.context);
    if (tokenizer.eosIds.includes(id)) return this.stop('eos');
    this.generated.push(id);
    this.context.push(id);
    this.text = tokenizer.decode(this.generated);
    const stopAt = firstStop(this.text, options.stop);
    if (stopAt >= 0) {
      this.text = this.text.slice(0, stopAt);
      this.onStep?.({ id, text: this.text });
      return this.stop('stop-string');
    }
    this.onStep?.({ id, text: holdBack(completeText(this.text), options.stop) });
    if (this.generated.length >= options.maxTokens) return this.stop('max-tokens');
    if (this.context.length >= this.contextLength) return this.stop('context');
    return id;
  }

  result(prefillTokensPerSecond: number, decodeMs: number): GenerationResult {
    return {
      ids: this.generated,
      text: this.text,
      stopReason: this.stopReason ?? 'max-tokens',
      promptTokens: this.prompt.length,
      prefillTokensPerSecond,
      decodeTokensPerSecond: this.generated.length / Math.max(decodeMs / 1000, 1e-9),
    };
  }

  private stop(reason: GenerationResult['stopReason']): null {
    this.stopReason = reason;
    return null;
  }
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
