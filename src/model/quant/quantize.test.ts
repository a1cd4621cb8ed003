import { describe, expect, it } from 'vitest';
import { dequantize } from './dequantize';
import { type BlockQuant, quantizeBlocks } from './quantize';

/** Gaussian-ish weights (sum of uniforms) with a few outliers, like a trained projection's rows. */
function weights(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() + next() + next() - 1.5) * 0.05 * (i % 97 === 0 ? 6 : 1);
  return out;
}

const rms = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let e = 0;
  for (let i = 0; i < a.length; i++) e += (a[i] - b[i]) ** 2;
  return Math.sqrt(e / a.length);
};

describe('GGML quantizers', () => {
  const x = weights(4096, 3);
  const spread = rms(x, new Float32Array(x.length));

  // Each format's error relative to the weights' RMS: 8 bits ≈ 1/254 of the range per step, 4 bits ≈ 1/15.
  it.each([
    ['q8_0', 0.01],
    ['q4_0', 0.16],
    ['q4_k', 0.12],
  ] as [BlockQuant, number][])('%s round-trips through the decoder within its step (relative RMS error < %f)', (format, bound) => {
    const back = dequantize(format, quantizeBlocks(format, x), x.length);
    expect(rms(back, x) / spread).toBeLessThan(bound);
    expect(rms(back, x) / spread).toBeGreaterThan(0); // it really quantized
  });

  it('Q8_0 keeps a block’s largest magnitude exactly up to its f16 scale, and zeros as zeros', () => {
    const block = new Float32Array(32);
    block[5] = -1.27;
    block[9] = 0.5;
    const back = dequantize('q8_0', quantizeBlocks('q8_0', block), 32);
    expect(back[5]).toBeCloseTo(-1.27, 3);
    expect(back[0]).toBe(0);
    expect(Math.abs(back[9] - 0.5)).toBeLessThan(0.01 / 2 + 1e-6);
  });

  it('Q4_0 maps the most extreme value to −8·d exactly', () => {
    const block = Float32Array.from({ length: 32 }, (_, i) => (i - 16) / 100);
    const back = dequantize('q4_0', quantizeBlocks('q4_0', block), 32);
    expect(back[0]).toBeCloseTo(-0.16, 3);
  });

  it('Q4_K’s scale search beats a plain min/max scale on the same weights', () => {
    // A min/max fit of each 32-value sub-block is the search's first candidate; the search only keeps better ones.
    const back = dequantize('q4_k', quantizeBlocks('q4_k', x), x.length);
    const minMax = new Float32Array(x.length);
    for (let j = 0; j < x.length / 32; j++) {
      const sub = x.subarray(32 * j, 32 * j + 32);
      const lo = Math.min(0, ...sub), hi = Math.max(...sub);
      const step = (hi - lo) / 15;
      sub.forEach((v, i) => (minMax[32 * j + i] = lo + step * Math.round((v - lo) / step)));
    }
    // Even against the min/max fit kept in full precision (no 6-bit scales), the stored search is close or better.
    expect(rms(back, x)).toBeLessThan(rms(minMax, x) * 1.1);
  });

  it('an all-zero block stays zero in every format', () => {
    for (const format of ['q8_0', 'q4_0', 'q4_k'] as BlockQuant[]) {
      expect([...dequantize(format, quantizeBlocks(format, new Float32Array(256)), 256)].every((v) => v === 0)).toBe(true);
    }
  });

  it('refuses values that are not whole blocks', () => {
    expect(() => quantizeBlocks('q4_k', new Float32Array(100))).toThrow(/not a whole number of 256-value blocks/);
  });
});
