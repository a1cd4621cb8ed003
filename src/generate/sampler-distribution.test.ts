/**
 * The sampler against reference behaviour: Hugging Face `generate`'s logits processors, written out here
 * independently (repetition penalty → temperature → top-k → top-p, the last as HF's TopPLogitsWarper removes
 * the low tail whose cumulative probability is ≤ 1 − p), give an exact distribution over the vocabulary. Many
 * seeded draws must never leave its support and must match its probabilities within sampling error.
 */
import { describe, expect, it } from 'vitest';
import { Sampler, type SamplingOptions } from './sampler';

// No ties, positive and negative logits (the repetition penalty treats the two signs differently).
const LOGITS = [2.0, -0.5, 1.4, 0.3, -1.2, 1.9, 0.8, -2.5];

/** P(token) after HF's processors, in float64. */
function referenceDistribution(logits: readonly number[], context: readonly number[], o: SamplingOptions): number[] {
  const penalty = o.repetitionPenalty ?? 1;
  const l = logits.map((x, id) => (context.includes(id) ? (x > 0 ? x / penalty : x * penalty) : x));
  const scaled = l.map((x) => x / (o.temperature ?? 1));
  // Top-k: everything below the k-th largest logit is removed.
  const k = o.topK ?? 0;
  const kth = k > 0 ? [...scaled].sort((a, b) => b - a)[Math.min(k, scaled.length) - 1] : -Infinity;
  const masked = scaled.map((x) => (x < kth ? -Infinity : x));
  const softmax = (xs: number[]) => {
    const m = Math.max(...xs);
    const e = xs.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  let p = softmax(masked);
  const topP = o.topP ?? 1;
  if (topP < 1) {
    // HF: sort ascending, cumulative sum, remove tokens whose cumulative probability is ≤ 1 − top_p (keep ≥ 1).
    const ascending = p.map((q, id) => ({ q, id })).sort((a, b) => a.q - b.q);
    let cumulative = 0;
    const removed = new Set<number>();
    ascending.forEach(({ q, id }, i) => {
      cumulative += q;
      if (cumulative <= 1 - topP && i < ascending.length - 1) removed.add(id);
    });
    p = softmax(masked.map((x, id) => (removed.has(id) ? -Infinity : x)));
  }
  return p;
}

function frequencies(options: SamplingOptions, context: number[], draws: number): number[] {
  const sampler = new Sampler(options);
  const counts = new Array<number>(LOGITS.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampler.sample(Float32Array.from(LOGITS), context)]++;
  return counts.map((c) => c / draws);
}

const DRAWS = 20_000;
const cases: [string, SamplingOptions, number[]][] = [
  ['temperature 0.7', { temperature: 0.7, seed: 1 }, []],
  ['temperature 1.5', { temperature: 1.5, seed: 2 }, []],
  ['top-k 3 at temperature 1.3', { temperature: 1.3, topK: 3, seed: 3 }, []],
  ['top-p 0.8', { temperature: 1, topP: 0.8, seed: 4 }, []],
  ['top-p 0.5 at temperature 2', { temperature: 2, topP: 0.5, seed: 5 }, []],
  ['repetition penalty 1.8 on seen tokens of both signs', { temperature: 1, repetitionPenalty: 1.8, seed: 6 }, [0, 1, 5, 5]],
  [
    'all four together',
    { temperature: 0.9, topK: 5, topP: 0.9, repetitionPenalty: 1.3, seed: 7 },
    [0, 2, 4],
  ],
];

describe('Sampler vs the reference distribution (HF processor order)', () => {
  it.each(cases)('%s', (_, options, context) => {
    const expected = referenceDistribution(LOGITS, context, options);
    const observed = frequencies(options, context, DRAWS);
    for (let id = 0; id < LOGITS.length; id++) {
      if (expected[id] === 0) {
        expect(observed[id], `token ${id} is outside the reference support`).toBe(0);
        continue;
      }
      // Five standard errors of a binomial proportion: a wrong probability of this size cannot pass by chance.
      const sigma = Math.sqrt((expected[id] * (1 - expected[id])) / DRAWS);
      expect(Math.abs(observed[id] - expected[id]), `token ${id}: ${observed[id]} vs ${expected[id]}`).toBeLessThan(
        5 * sigma + 1e-9,
      );
    }
  });

  it('the reference itself: top-k and top-p cut where HF cuts', () => {
    const k3 = referenceDistribution(LOGITS, [], { topK: 3 });
    expect(k3.map((p) => p > 0)).toEqual([true, false, true, false, false, true, false, false]);
    const p = referenceDistribution(LOGITS, [], { topP: 0.5 });
    // Tokens 0 (2.0) and 5 (1.9) hold ~0.30 and ~0.27: the first alone is < 0.5, so both are kept.
    expect(p.map((q) => q > 0)).toEqual([true, false, false, false, false, true, false, false]);
  });

  it('a seed makes a whole sequence of draws reproducible, whatever the options', () => {
    for (const [, options, context] of cases) {
      const a = frequencies(options, context, 500);
      const b = frequencies(options, context, 500);
      expect(b).toEqual(a);
    }
    const draws = (seed: number) => {
      const s = new Sampler({ temperature: 1, seed });
      return Array.from({ length: 64 }, () => s.sample(Float32Array.from(LOGITS), []));
    };
    expect(draws(11)).toEqual(draws(11));
    expect(draws(11)).not.toEqual(draws(12));
  });
});
