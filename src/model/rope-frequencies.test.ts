import { describe, expect, it } from 'vitest';
import { ropeInverseFrequencies } from './rope-frequencies';

describe('Llama 3 RoPE scaling', () => {
  // Llama 3.1's published settings: factor 8, low 1, high 4, original context 8192, theta 500000, head dim 128.
  const scaling = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };
  const plain = ropeInverseFrequencies(128, 500000);
  const scaled = ropeInverseFrequencies(128, 500000, scaling);

  it('keeps high frequencies, divides low ones by the factor, and interpolates between', () => {
    let kept = 0;
    let divided = 0;
    let between = 0;
    for (let i = 0; i < plain.length; i++) {
      const wavelen = (2 * Math.PI) / plain[i];
      if (wavelen < 8192 / 4) {
        expect(scaled[i]).toBe(plain[i]);
        kept++;
      } else if (wavelen > 8192) {
        expect(scaled[i]).toBeCloseTo(plain[i] / 8, 12);
        divided++;
      } else {
        expect(scaled[i]).toBeLessThan(plain[i]);
        expect(scaled[i]).toBeGreaterThan(plain[i] / 8);
        between++;
      }
    }
    expect(kept).toBeGreaterThan(0);
    expect(divided).toBeGreaterThan(0);
    expect(between).toBeGreaterThan(0);
  });

  it('is monotonic in i (frequencies keep falling)', () => {
    for (let i = 1; i < scaled.length; i++) expect(scaled[i]).toBeLessThan(scaled[i - 1]);
  });
});
