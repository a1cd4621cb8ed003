import { describe, expect, it } from 'vitest';
import { learningRateAt, type ScheduleSettings } from './schedule';

const base = { peak: 1e-3, warmupSteps: 10, totalSteps: 110 };

describe('learningRateAt', () => {
  it('warms up linearly and reaches the peak at the last warmup step', () => {
    const s: ScheduleSettings = { ...base, kind: 'constant' };
    expect(learningRateAt(0, s)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(4, s)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(9, s)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(10, s)).toBe(1e-3);
    expect(learningRateAt(109, s)).toBe(1e-3);
  });

  it('linear decay falls by equal amounts per step and stays above zero on the last step', () => {
    const s: ScheduleSettings = { ...base, kind: 'linear' };
    expect(learningRateAt(10, s)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(60, s)).toBeCloseTo(5e-4, 12);
    const d1 = learningRateAt(20, s) - learningRateAt(21, s);
    const d2 = learningRateAt(80, s) - learningRateAt(81, s);
    expect(d1).toBeCloseTo(d2, 12);
    expect(learningRateAt(109, s)).toBeCloseTo(1e-5, 12);
    expect(learningRateAt(109, s)).toBeGreaterThan(0);
  });

  it('cosine decay is half the peak at mid-decay and flat at both ends', () => {
    const s: ScheduleSettings = { ...base, kind: 'cosine' };
    expect(learningRateAt(60, s)).toBeCloseTo(5e-4, 12);
    const early = learningRateAt(10, s) - learningRateAt(11, s);
    const middle = learningRateAt(60, s) - learningRateAt(61, s);
    expect(early).toBeLessThan(middle / 10);
    for (let i = 10; i < 109; i++) expect(learningRateAt(i + 1, s)).toBeLessThanOrEqual(learningRateAt(i, s));
  });

  it('decays towards the floor given by minRatio', () => {
    const s: ScheduleSettings = { ...base, kind: 'cosine', minRatio: 0.1 };
    expect(learningRateAt(60, s)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 12);
    expect(learningRateAt(500, s)).toBeCloseTo(1e-4, 12);
  });

  it('without warmup the first step gets the peak', () => {
    expect(learningRateAt(0, { ...base, warmupSteps: 0, kind: 'linear' })).toBe(1e-3);
  });

  it('rejects a negative or fractional step', () => {
    expect(() => learningRateAt(-1, { ...base, kind: 'constant' })).toThrow(/step -1/);
    expect(() => learningRateAt(1.5, { ...base, kind: 'constant' })).toThrow(/step 1.5/);
  });
});
