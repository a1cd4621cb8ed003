import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../gpu/testing/random';
import { dequantize } from './dequantize';
import { NF4_CODE } from './nf4-code';
import { NF4_MAX_RELATIVE_ERROR, nf4Code, quantizeNf4 } from './nf4';

/** Normal weights (Box–Muller), the distribution NF4 is designed for. */
function weights(n: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 0.02 * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return out;
}

describe('NF4 quantizer', () => {
  it('maps each value to its nearest code: error within half the widest code gap times absmax', () => {
    const v = weights(64 * 40, 1);
    const deq = dequantize('nf4', quantizeNf4(v), v.length);
    expect(NF4_MAX_RELATIVE_ERROR).toBeCloseTo((-0.6961928009986877 + 1) / 2, 12);
    let sumSq = 0, errSq = 0;
    for (let b = 0; b < v.length / 64; b++) {
      const block = v.subarray(b * 64, b * 64 + 64);
      const absmax = Math.max(...Array.from(block, Math.abs));
      for (let i = 0; i < 64; i++) {
        const err = Math.abs(deq[b * 64 + i] - block[i]);
        expect(err).toBeLessThanOrEqual(absmax * NF4_MAX_RELATIVE_ERROR * (1 + 1e-6));
        // Nearest: no other code is closer (up to f32 rounding of the product).
        const best = Math.min(...NF4_CODE.map((c) => Math.abs(absmax * c - block[i])));
        expect(err).toBeLessThanOrEqual(best + absmax * 1e-6);
        sumSq += block[i] ** 2;
        errSq += err ** 2;
      }
    }
    expect(Math.sqrt(errSq / sumSq)).toBeLessThan(0.11); // relative RMS error on normal data
  });

  it('keeps the absmax value and exact zeros exact; an all-zero block stays zero', () => {
    const v = new Float32Array(128);
    v[3] = -0.75;
    v[10] = 0.25;
    const deq = dequantize('nf4', quantizeNf4(v), 128);
    expect(deq[3]).toBe(-0.75);
    expect(deq[0]).toBe(0);
    expect(Array.from(deq.subarray(64))).toEqual(new Array(64).fill(0));
    expect(nf4Code(0)).toBe(7);
    expect(nf4Code(1)).toBe(15);
    expect(nf4Code(-1)).toBe(0);
  });

  it('refuses a partial block and non-finite values, naming the tensor', () => {
    expect(() => quantizeNf4(new Float32Array(100), 'q_proj')).toThrow(/'q_proj': 100 values is not a multiple of 64/);
    const bad = new Float32Array(64);
    bad[5] = NaN;
    expect(() => quantizeNf4(bad, 'k_proj')).toThrow(/'k_proj': value NaN at index 5/);
  });
});
