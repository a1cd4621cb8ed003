/** The training settings' checks: each refusal names the setting and says what would fit. */
import { describe, expect, it } from 'vitest';
import { syntheticConfig } from '../model/fixtures';
import { checkRankFits, checkTrainingConfig, checkWindowFits, DEFAULT_TRAINING_CONFIG, TrainingConfigError } from './config';

describe('training settings', () => {
  it('accepts the defaults and refuses a learning rate of 0 or NaN', () => {
    expect(() => checkTrainingConfig(DEFAULT_TRAINING_CONFIG)).not.toThrow();
    expect(() => checkTrainingConfig({ ...DEFAULT_TRAINING_CONFIG, learningRate: 0 })).toThrow(TrainingConfigError);
    expect(() => checkTrainingConfig({ ...DEFAULT_TRAINING_CONFIG, learningRate: Number.NaN })).toThrow(/learningRate|learning rate/i);
  });

  it('refuses a rank larger than a targeted projection', () => {
    const model = syntheticConfig({});
    const small = Math.min(model.hiddenSize, model.numKvHeads * model.headDim);
    expect(() => checkRankFits({ ...DEFAULT_TRAINING_CONFIG, rank: small }, model)).not.toThrow();
    expect(() => checkRankFits({ ...DEFAULT_TRAINING_CONFIG, rank: 4 * model.hiddenSize }, model)).toThrow(/larger than the/);
  });

  it('refuses sequences longer than a sliding attention window, naming the window', () => {
    const mistral = syntheticConfig({ architecture: 'mistral', slidingWindow: 64 });
    expect(() => checkWindowFits({ ...DEFAULT_TRAINING_CONFIG, seqLen: 64 }, mistral)).not.toThrow();
    expect(() => checkWindowFits({ ...DEFAULT_TRAINING_CONFIG, seqLen: 65 }, mistral)).toThrow(/sliding attention window \(64\)/);
    expect(() => checkWindowFits({ ...DEFAULT_TRAINING_CONFIG, seqLen: 4096 }, syntheticConfig({}))).not.toThrow();
  });
});
