import { describe, expect, it } from 'vitest';
import { DatasetError } from '../data';
import { TrainingConfigError } from '../train/config';
import { DeviceLostError } from '../train/device-loss';
import { NonFiniteError, TrainingInterruptedError } from '../train/loop';
import { MemoryLimitError } from '../train/session';
import { checkSameBase, TrainSetupError, trainFailureOf } from './train-failure';

describe('trainFailureOf', () => {
  it('names a bad setting by its TrainingConfig key, which the form maps to its field', () => {
    const error = new TrainingConfigError({ setting: 'learningRate', problem: { kind: 'out-of-range', value: Number.NaN } });
    const failure = trainFailureOf(error, null);
    expect(failure).toMatchObject({ kind: 'config', setting: 'learningRate', checkpointStep: null });
    // The problem travels as data, so the studio words it with its labels (the message names keys).
    expect(failure.issue).toEqual(error.issue);
    expect(failure.message).toContain('NaN is not a positive finite number');
  });

  it('keeps the checkpoint a NaN loss left, and says the loss was NaN', () => {
    const failure = trainFailureOf(new NonFiniteError(7, Number.NaN, 1, 5, 'OPFS:runs/r'), 3);
    expect(failure.kind).toBe('non-finite');
    expect(failure.checkpointStep).toBe(5);
    expect(failure.message).toBe(
      'At step 7 the loss became NaN, so training stopped. The last good checkpoint (step 5) is kept. ' +
        'Try a lower learning rate, a max grad norm of 1, or warmup steps.',
    );
    expect(trainFailureOf(new NonFiniteError(2, 3.1, Infinity, null, 'x'), null).message).toContain('gradient norm became Infinity');
  });

  it('tells a lost device from other interruptions, and speaks of the kept checkpoint, not a CLI flag', () => {
    const lost = trainFailureOf(new TrainingInterruptedError(12, 10, 'OPFS:runs/r', new DeviceLostError('the GPU device was lost (unknown)')), null);
    expect(lost.kind).toBe('device-lost');
    expect(lost.checkpointStep).toBe(10);
    expect(lost.message).toContain('The last checkpoint (step 10) is kept.');
    expect(lost.message).not.toContain('--resume');
    const other = trainFailureOf(new TrainingInterruptedError(3, null, 'OPFS:runs/r', new Error('mapAsync failed')), null);
    expect(other.kind).toBe('interrupted');
    expect(other.message).toContain('No checkpoint had been written yet');
  });

  it('passes on data, setup and memory problems with their own messages', () => {
    expect(trainFailureOf(new DatasetError('a.jsonl', 'the dataset is empty: no examples'), 4)).toMatchObject({ kind: 'data', checkpointStep: 4 });
    expect(trainFailureOf(new TrainSetupError('data', 'x is empty'), null)).toMatchObject({ kind: 'data', message: 'x is empty' });
    expect(trainFailureOf(new MemoryLimitError('this run does not fit the GPU'), null).kind).toBe('memory');
    expect(trainFailureOf(new Error('boom'), null)).toMatchObject({ kind: 'internal', message: 'Error: boom' });
  });
});

describe('checkSameBase', () => {
  it('lets a run resume on its own base, and names both bases otherwise', () => {
    const a = 'stories260K.gguf (llama, 5 layers, hidden 64, vocab 512, f32)';
    const b = 'other.gguf (llama, 30 layers, hidden 576, vocab 49152, q8_0)';
    expect(() => checkSameBase(a, a)).not.toThrow();
    let error: unknown;
    try {
      checkSameBase(a, b);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainSetupError);
    expect((error as TrainSetupError).kind).toBe('model');
    expect((error as Error).message).toContain(a);
    expect((error as Error).message).toContain(b);
  });
});
