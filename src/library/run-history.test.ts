import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_CONFIG } from '../train/config';
import { cutBackTo, interrupted, MAX_POINTS, type RunPoint, type RunRecord, withPoints } from './run-history';

function record(patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'r-1',
    name: 'run',
    createdAt: 1,
    updatedAt: 1,
    status: 'running',
    config: DEFAULT_TRAINING_CONFIG,
    model: { name: 'stories260K', source: { kind: 'bundled', id: 'stories260K', format: 'gguf' } },
    dataset: { name: 'moon-stories.jsonl', source: 'sample' },
    samples: { prompts: [], every: 0, maxTokens: 32 },
    step: 0,
    totalSteps: 50,
    checkpointStep: null,
    points: [],
    validations: [],
    bestValLoss: null,
    finalValLoss: null,
    adapterId: null,
    problem: null,
    lastSamples: null,
    ...patch,
  };
}

const point = (step: number, loss = 5 - step / 10): RunPoint => ({ step, loss, learningRate: 1e-3, gradNorm: 1, tokensPerSecond: 100 });

describe('run history records', () => {
  it('appends points in step order, replaces a repeated step, and tracks the step and best validation loss', () => {
    let r = withPoints(record(), [point(1), point(2)], [{ step: 0, loss: 4 }]);
    r = withPoints(r, [point(3)], [{ step: 2, loss: 3.5 }]);
    r = withPoints(r, [point(2, 9)], [{ step: 3, loss: Number.NaN }]);
    expect(r.points.map((p) => [p.step, p.loss])).toEqual([
      [1, 4.9],
      [2, 9],
      [3, 4.7],
    ]);
    expect(r.step).toBe(3);
    expect(r.validations.map((v) => v.step)).toEqual([0, 2, 3]);
    expect(r.bestValLoss).toBe(3.5);
  });

  it('cuts back to a checkpoint: later points and validations go, the best loss is recomputed', () => {
    const r = withPoints(record(), [1, 2, 3, 4, 5].map((s) => point(s)), [
      { step: 0, loss: 4 },
      { step: 2, loss: 3 },
      { step: 4, loss: 2 },
    ]);
    const back = cutBackTo(r, 3);
    expect(back.points.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(back.validations.map((v) => v.step)).toEqual([0, 2]);
    expect(back.bestValLoss).toBe(3);
    expect(back.step).toBe(3);
    expect(back.checkpointStep).toBe(3);
  });

  it('keeps a long run under the point limit, with its first and latest points', () => {
    let r = record();
    for (let s = 1; s <= MAX_POINTS + 500; s += 100) {
      r = withPoints(r, Array.from({ length: 100 }, (_, i) => point(s + i)), []);
    }
    expect(r.points.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(r.points[0].step).toBe(1);
    expect(r.points.at(-1)!.step).toBe(MAX_POINTS + 500);
    const steps = r.points.map((p) => p.step);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
  });

  it('marks a run left running by a reload as interrupted, saying what a resume gets', () => {
    const none = interrupted(record());
    expect(none.status).toBe('interrupted');
    expect(none.problem?.message).toContain('starts it over');
    const some = interrupted(record({ checkpointStep: 20 }));
    expect(some.problem?.message).toContain('checkpoint at step 20');
    const done = record({ status: 'finished' });
    expect(interrupted(done)).toBe(done);
  });
});
