import { describe, expect, it } from 'vitest';
import { EarlyStopping } from './early-stopping';

describe('EarlyStopping', () => {
  it('keeps the best loss and stops after `patience` validations without improvement', () => {
    const es = new EarlyStopping(2);
    expect(es.observe(3, 10)).toEqual({ improved: true, stop: false });
    expect(es.observe(2, 20)).toEqual({ improved: true, stop: false });
    expect(es.observe(2.5, 30)).toEqual({ improved: false, stop: false });
    expect(es.observe(1.9, 40)).toEqual({ improved: true, stop: false });
    expect(es.observe(1.95, 50)).toEqual({ improved: false, stop: false });
    expect(es.observe(1.9, 60)).toEqual({ improved: false, stop: true });
    expect(es.state).toEqual({ bestLoss: 1.9, bestStep: 40, sinceBest: 2 });
  });

  it('with patience 0 never stops but still tracks the best', () => {
    const es = new EarlyStopping(0);
    es.observe(1, 1);
    for (let i = 0; i < 20; i++) expect(es.observe(5, i + 2).stop).toBe(false);
    expect(es.state.bestStep).toBe(1);
  });

  it('counts only improvements larger than minDelta', () => {
    const es = new EarlyStopping(1, 0.1);
    es.observe(1, 1);
    expect(es.observe(0.95, 2)).toEqual({ improved: false, stop: true });
  });

  it('never counts a NaN loss as the best', () => {
    const es = new EarlyStopping(3);
    expect(es.observe(Number.NaN, 1).improved).toBe(false);
    expect(es.state.bestLoss).toBeNull();
  });

  it('restores its state, so a resumed run stops where the straight run would', () => {
    const a = new EarlyStopping(2);
    a.observe(1, 1);
    a.observe(1.5, 2);
    const b = new EarlyStopping(2);
    b.state = a.state;
    expect(b.observe(1.2, 3)).toEqual(a.observe(1.2, 3));
  });

  it('rejects a bad patience', () => {
    expect(() => new EarlyStopping(-1)).toThrow(/patience -1/);
  });
});
