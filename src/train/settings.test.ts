/** The settings table: it covers the whole TrainingConfig, and the core's checks refuse exactly what it says. */
import { describe, expect, it } from 'vitest';
import { syntheticConfig } from '../model/fixtures';
import { checkTrainingConfig, checkWindowFits, DEFAULT_TRAINING_CONFIG, type TrainingConfig, TrainingConfigError } from './config';
import { SETTING_KEYS, SETTINGS, settingSpec } from './settings';
import { configWith, NUMBER_BOUNDS } from './testing/setting-bounds';

/**
 * Every TrainingConfig key, written out: the compiler checks this object against the interface (a key missing or
 * extra is a type error), and the test checks the table against it.
 */
const EVERY_KEY: Record<keyof TrainingConfig, true> = {
  method: true, rank: true, alpha: true, rsLora: true, loraPlusRatio: true, targets: true, dropout: true, virtualTokens: true, promptInit: true,
  learningRate: true, beta1: true, beta2: true,
  eps: true, weightDecay: true, maxGradNorm: true, schedule: true, warmupSteps: true, minLrRatio: true,
  batchSize: true, gradAccum: true, seqLen: true, overLength: true, pack: true, trainOnInputs: true, maxSteps: true,
  epochs: true, shuffleWindow: true, valSplit: true, evalEvery: true, saveEvery: true, patience: true, keepBest: true, seed: true,
  checkpointing: true, quant: true,
};

function issueOf(config: TrainingConfig) {
  try {
    checkTrainingConfig(config);
  } catch (error) {
    if (error instanceof TrainingConfigError) return error.issue;
    throw error;
  }
  return null;
}

describe('the settings table', () => {
  it('has one entry for every TrainingConfig key, and the default config is its defaults', () => {
    expect([...SETTING_KEYS].sort()).toEqual(Object.keys(EVERY_KEY).sort());
    expect(Object.keys(DEFAULT_TRAINING_CONFIG)).toEqual(SETTING_KEYS);
    for (const key of SETTING_KEYS) expect(DEFAULT_TRAINING_CONFIG[key], key).toEqual(SETTINGS[key].default);
    expect(() => checkTrainingConfig(DEFAULT_TRAINING_CONFIG)).not.toThrow();
  });

  it('gives each setting its own flag and label', () => {
    const flags = SETTING_KEYS.map((k) => settingSpec(k).flag).filter((f) => f !== null);
    const labels = SETTING_KEYS.map((k) => settingSpec(k).label);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it.each(NUMBER_BOUNDS)('core: $key is refused past its limits, by key, and allowed at them', ({ key, inside, outside }) => {
    for (const value of inside) expect(issueOf(configWith(key, value)), `${key} = ${value}`).toBeNull();
    for (const value of outside) {
      expect(issueOf(configWith(key, value)), `${key} = ${value}`).toEqual({ setting: key, problem: { kind: 'out-of-range', value } });
    }
  });

  it('core: refuses a config with both or neither of steps and epochs, naming maxSteps', () => {
    expect(issueOf({ ...DEFAULT_TRAINING_CONFIG, maxSteps: 10, epochs: 1 })).toEqual({
      setting: 'maxSteps',
      problem: { kind: 'one-of', other: 'epochs' },
    });
    expect(issueOf({ ...DEFAULT_TRAINING_CONFIG, maxSteps: null, epochs: null })?.setting).toBe('maxSteps');
  });

  it('core: refuses an unknown choice, and no, unknown or repeated targets', () => {
    expect(issueOf({ ...DEFAULT_TRAINING_CONFIG, quant: 'int3' as 'nf4' })).toEqual({ setting: 'quant', problem: { kind: 'not-a-choice', value: 'int3' } });
    expect(issueOf({ ...DEFAULT_TRAINING_CONFIG, targets: [] })?.problem).toEqual({ kind: 'no-items' });
    expect(issueOf({ ...DEFAULT_TRAINING_CONFIG, targets: ['q', 'x' as 'q'] })?.problem).toEqual({ kind: 'unknown-item', item: 'x' });
    expect(issueOf({ ...DEFAULT_TRAINING_CONFIG, targets: ['q', 'q'] })?.problem).toEqual({ kind: 'repeated-item', items: ['q', 'q'] });
  });

  it("core: the window check names seqLen by its key, with advice as data", () => {
    const mistral = syntheticConfig({ architecture: 'mistral', slidingWindow: 64 });
    let error: unknown;
    try {
      checkWindowFits({ ...DEFAULT_TRAINING_CONFIG, seqLen: 65 }, mistral);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainingConfigError);
    expect((error as TrainingConfigError).issue).toEqual({
      setting: 'seqLen',
      problem: { kind: 'beyond-window', value: 65, window: 64 },
      advice: { setting: 'seqLen', atMost: 64 },
    });
    expect((error as Error).message).toBe("seqLen: 65 tokens is longer than the model's sliding attention window (64); use seqLen ≤ 64");
  });

  it("core: a method refuses another method's settings by key, and virtual tokens must leave text room", () => {
    const message = (c: TrainingConfig) => {
      try {
        checkTrainingConfig(c);
      } catch (e) {
        return (e as Error).message;
      }
      return null;
    };
    expect(issueOf({ ...DEFAULT_TRAINING_CONFIG, virtualTokens: 8 })).toEqual({ setting: 'virtualTokens', problem: { kind: 'not-for-method', method: 'lora' } });
    expect(message({ ...DEFAULT_TRAINING_CONFIG, virtualTokens: 8 })).toBe(
      'virtualTokens: a prompt-tuning setting, which LoRA does not have (leave it at its default)',
    );
    expect(message({ ...DEFAULT_TRAINING_CONFIG, method: 'dora', promptInit: 'Once upon a time' })).toMatch(/^promptInit: a prompt-tuning setting, which DoRA/);
    expect(message({ ...DEFAULT_TRAINING_CONFIG, method: 'ia3', rank: 16 })).toBe('rank: a LoRA setting, which IA³ does not have (leave it at its default)');
    expect(message({ ...DEFAULT_TRAINING_CONFIG, method: 'prompt', dropout: 0.1 })).toBe(
      'dropout: a LoRA setting, which prompt tuning does not have (leave it at its default)',
    );
    expect(issueOf({ ...DEFAULT_TRAINING_CONFIG, method: 'prompt', virtualTokens: 8, promptInit: 'Once upon a time' })).toBeNull();
    expect(message({ ...DEFAULT_TRAINING_CONFIG, method: 'prompt', seqLen: 32, virtualTokens: 31 })).toBe(
      "virtualTokens: 31 virtual tokens leave 1 of the sequence length's 32 tokens for text; it needs at least 2; use virtualTokens ≤ 30",
    );
    expect(issueOf({ ...DEFAULT_TRAINING_CONFIG, method: 'prompt', promptInit: 'x'.repeat(4001) })?.problem).toEqual({ kind: 'too-long', length: 4001, maxLength: 4000 });
  });
});
