import { describe, expect, it } from 'vitest';
import { argmax, Sampler, SamplingError } from './sampler';

const logits = () => Float32Array.from([1, 3, 2, 0.5, 2.9]);

describe('Sampler', () => {
  it('greedy picks the argmax, and temperature 0 is greedy', () => {
    expect(new Sampler({ greedy: true }).sample(logits(), [])).toBe(1);
    expect(new Sampler({ temperature: 0 }).sample(logits(), [])).toBe(1);
    expect(argmax([0, -1, 5, 5])).toBe(2);
  });

  it('repetition penalty pushes seen tokens down (divides positive, multiplies negative logits)', () => {
    const l = logits();
    expect(new Sampler({ greedy: true, repetitionPenalty: 1.5 }).sample(l, [1, 1])).toBe(4);
    expect(l[1]).toBeCloseTo(2);
    const neg = Float32Array.from([-1, -2]);
    new Sampler({ greedy: true, repetitionPenalty: 2 }).sample(neg, [0]);
    expect(neg[0]).toBe(-2);
  });

  it('top-k 1 is greedy whatever the temperature', () => {
    const s = new Sampler({ temperature: 5, topK: 1, seed: 3 });
    for (let i = 0; i < 20; i++) expect(s.sample(logits(), [])).toBe(1);
  });

  it('top-p keeps the smallest set reaching p', () => {
    // Probabilities ∝ e^[10, 9.9, 0, …]: the top two carry ~all mass; p = 0.5 keeps only the first.
    const s = new Sampler({ temperature: 1, topP: 0.5, seed: 1 });
    for (let i = 0; i < 20; i++) expect(s.sample(Float32Array.from([10, 9.9, 0, 0]), [])).toBe(0);
    const t = new Sampler({ temperature: 1, topP: 0.99, seed: 1 });
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(t.sample(Float32Array.from([10, 9.9, 0, 0]), []));
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('the same seed gives the same draws; frequencies follow the softmax', () => {
    const draw = (seed: number) => {
      const s = new Sampler({ temperature: 1, seed });
      return Array.from({ length: 50 }, () => s.sample(Float32Array.from([0, Math.log(3)]), []));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    const s = new Sampler({ temperature: 1, seed: 7 });
    let ones = 0;
    for (let i = 0; i < 4000; i++) ones += s.sample(Float32Array.from([0, Math.log(3)]), []);
    expect(ones / 4000).toBeGreaterThan(0.72);
    expect(ones / 4000).toBeLessThan(0.78);
  });

  it('refuses nonsense settings with a specific message', () => {
    expect(() => new Sampler({ temperature: -1 })).toThrow(SamplingError);
    expect(() => new Sampler({ topP: 0 })).toThrow(/top-p/);
    expect(() => new Sampler({ topK: 1.5 })).toThrow(/top-k/);
    expect(() => new Sampler({ repetitionPenalty: 0 })).toThrow(/repetition penalty/);
  });
});
