/**
 * Picks the next token from a row of logits, in the order Hugging Face's `generate` applies its processors:
 * repetition penalty → temperature → top-k → top-p → draw. Greedy is argmax over the penalised logits.
 */
import { Random } from '../core/random';

export interface SamplingOptions {
  /** Greedy when true or when temperature is 0. */
  greedy?: boolean;
  temperature?: number;
  /** Keep the k most likely tokens (0 = off). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability sums to at least p (1 = off). */
  topP?: number;
  /** > 1 discourages tokens already present in the context (CTRL / HF convention). 1 = off. */
  repetitionPenalty?: number;
  seed?: number;
}

export class SamplingError extends Error {
  override name = 'SamplingError';
}

export function validateSampling(o: SamplingOptions): void {
  const bad = (what: string) => {
    throw new SamplingError(what);
  };
  if (o.temperature !== undefined && !(o.temperature >= 0)) bad(`temperature must be ≥ 0, got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) bad(`top-k must be a whole number ≥ 0, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) bad(`top-p must be in (0, 1], got ${o.topP}`);
  if (o.repetitionPenalty !== undefined && !(o.repetitionPenalty > 0)) {
    bad(`repetition penalty must be > 0, got ${o.repetitionPenalty}`);
  }
}

export class Sampler {
  private readonly random: Random;

  constructor(private readonly options: SamplingOptions) {
    validateSampling(options);
    this.random = new Random(options.seed ?? 0);
  }

  get isGreedy(): boolean {
    return Boolean(this.options.greedy) || this.options.temperature === 0;
  }

  /** `logits` is modified in place (penalty, temperature). `context` holds the ids seen so far. */
  sample(logits: Float32Array, context: Iterable<number>): number {
    const penalty = this.options.repetitionPenalty ?? 1;
    if (penalty !== 1) {
      for (const id of new Set(context)) {
        if (id < 0 || id >= logits.length) continue;
        const l = logits[id];
        logits[id] = l > 0 ? l / penalty : l * penalty;
      }
    }
    if (this.isGreedy) return argmax(logits);

    const temperature = this.options.temperature ?? 1;
    const topK = this.options.topK ?? 0;
    const topP = this.options.topP ?? 1;
    // Candidates sorted by logit; only the top-k (or all) are sorted.
    let ids = Array.from({ length: logits.length }, (_, i) => i);
    ids.sort((a, b) => logits[b] - logits[a]);
    if (topK > 0 && topK < ids.length) ids = ids.slice(0, topK);
    const max = logits[ids[0]];
    const probs = ids.map((id) => Math.exp((logits[id] - max) / temperature));
    const total = probs.reduce((a, b) => a + b, 0);
    let keep = probs.length;
    if (topP < 1) {
      let cumulative = 0;
      for (let i = 0; i < probs.length; i++) {
        cumulative += probs[i] / total;
        if (cumulative >= topP) {
          keep = i + 1;
          break;
        }
      }
    }
    const kept = probs.slice(0, keep);
    const keptTotal = kept.reduce((a, b) => a + b, 0);
    let r = this.random.next() * keptTotal;
    for (let i = 0; i < keep; i++) {
      r -= kept[i];
      if (r < 0) return ids[i];
    }
    return ids[keep - 1];
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
