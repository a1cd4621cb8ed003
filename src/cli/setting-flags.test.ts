/** The training settings as flags: the table's limits, refused with the flag's name; core refusals reworded with flags. */
import { describe, expect, it } from 'vitest';
import { syntheticConfig } from '../model/fixtures';
import { checkTrainingConfig, checkWindowFits, DEFAULT_TRAINING_CONFIG, TrainingConfigError } from '../train/config';
import { F32_BASE } from '../model/quant/storage';
import { planMemory } from '../train/memory-plan';
import { MemoryLimitError } from '../train/session';
import { SETTING_KEYS, settingSpec } from '../train/settings';
import { NUMBER_BOUNDS } from '../train/testing/setting-bounds';
import { UsageError } from './output';
import { sessionNoticeText } from '../train/session-notice';
import { CLI_WORDS, configFromFlags, inCliWords, settingFlagsHelp } from './setting-flags';

const flagged = NUMBER_BOUNDS.filter((b) => settingSpec(b.key).flag !== null);

describe('training settings as CLI flags', () => {
  it.each(flagged)('--flag of $key: refused past the same limits as the core, naming the flag', ({ key, inside, outside }) => {
    const flag = settingSpec(key).flag!;
    for (const value of inside) expect(configFromFlags({ [flag]: String(value) })[key], `--${flag} ${value}`).toBe(value);
    for (const value of outside) {
      let error: unknown;
      try {
        configFromFlags({ [flag]: String(value) });
      } catch (e) {
        error = e;
      }
      expect(error, `--${flag} ${value}`).toBeInstanceOf(UsageError);
      expect((error as Error).message.startsWith(`--${flag} got '${value}'; `), (error as Error).message).toBe(true);
    }
  });

  it('keeps the defaults for flags not given, and --steps replaces the default epochs', () => {
    expect(configFromFlags({})).toEqual(DEFAULT_TRAINING_CONFIG);
    expect(configFromFlags({ steps: '5' })).toMatchObject({ maxSteps: 5, epochs: null });
    expect(configFromFlags({ 'keep-last': true, rslora: true })).toMatchObject({ keepBest: false, rsLora: true });
    expect(() => configFromFlags({ targets: '' })).toThrow('--targets is empty; expected a comma-separated list of q,k,v,o,gate,up,down');
  });

  it('lists every flagged setting in --help, with its default', () => {
    const help = settingFlagsHelp();
    for (const key of SETTING_KEYS) {
      const flag = settingSpec(key).flag;
      if (flag) expect(help).toContain(`  --${flag}`);
    }
    expect(help).toMatch(/--seq-len L {13}longest sequence in tokens; longer examples are truncated \(default 256\)/);
    expect(help).toMatch(/--schedule S +learning rate over the run \(constant \| linear \| cosine; default cosine\)/);
  });

  it('takes prompt tuning as flags, and words a setting of another method with its flag', () => {
    const config = configFromFlags({ method: 'prompt', 'virtual-tokens': '12', 'prompt-init': 'Once upon a time' });
    expect(config).toMatchObject({ method: 'prompt', virtualTokens: 12, promptInit: 'Once upon a time' });
    expect(settingFlagsHelp()).toMatch(/--prompt-init TEXT .*random vocabulary tokens \(default empty\)/);
    const worded = (flags: Record<string, string>) => {
      try {
        checkTrainingConfig(configFromFlags(flags));
      } catch (e) {
        return (inCliWords(e) as Error).message;
      }
      return null;
    };
    expect(worded({ 'virtual-tokens': '12' })).toBe('--virtual-tokens: a prompt-tuning setting, which LoRA does not have (leave it at its default)');
    expect(worded({ method: 'prompt', rank: '4' })).toBe('--rank: a LoRA setting, which prompt tuning does not have (leave it at its default)');
    expect(worded({ method: 'prompt', 'seq-len': '16', 'virtual-tokens': '15' })).toBe(
      "--virtual-tokens: 15 virtual tokens leave 1 of the sequence length's 16 tokens for text; it needs at least 2; use --virtual-tokens ≤ 14",
    );
  });

  it('rewords a core refusal with flags: the window check names --seq-len, not the key', () => {
    let error: unknown;
    try {
      checkWindowFits({ ...DEFAULT_TRAINING_CONFIG, seqLen: 65 }, syntheticConfig({ architecture: 'mistral', slidingWindow: 64 }));
    } catch (e) {
      error = inCliWords(e);
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      "--seq-len: 65 tokens is longer than the model's sliding attention window (64); use --seq-len ≤ 64",
    );
    const other = new Error('unrelated');
    expect(inCliWords(other)).toBe(other);
    expect(inCliWords(new TrainingConfigError({ setting: 'maxSteps', problem: { kind: 'one-of', other: 'epochs' } }))).toMatchObject({
      message: '--steps: give exactly one of --steps and --epochs',
    });
  });

  it('rewords a refusal no memory plan fixes with flags', () => {
    const config = { ...DEFAULT_TRAINING_CONFIG, quant: 'none' as const, dropout: 0.1, seqLen: 256 };
    const plan = planMemory({
      model: syntheticConfig(),
      stored: F32_BASE,
      config,
      limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 },
      budgetBytes: 2 ** 16,
    });
    expect(plan.fits).toBe(false);
    const error = inCliWords(new MemoryLimitError('this run does not fit the GPU', plan));
    expect((error as Error).message).toMatch(
      /^this run does not fit the GPU: no plan fits: even micro-batch 1 × accumulation \d+, checkpointing on needs [\d.]+ [KM]iB \(the base's weights alone need [\d.]+ KiB, more than the 64\.0 KiB budget; the run needs about [\d.]+ [KM]iB, more than the 64\.0 KiB available\)\. Would fit: .*--memory \d+: about [\d.]+ [KM]iB\.$/,
    );
  });

});

describe('session notices in the CLI', () => {
  it('name the sequence length by its flag', () => {
    expect(sessionNoticeText({ kind: 'truncated', count: 3, seqLen: 64 }, CLI_WORDS)).toBe(
      '3 example(s) were longer than --seq-len 64 and were truncated',
    );
  });
});
