import { describe, expect, it } from 'vitest';
import { syntheticConfig } from '../../model/fixtures';
import { NUMBER_BOUNDS } from '../../train/testing/setting-bounds';
import { sessionNoticeText } from '../../train/session-notice';
import { FORM_WORDS, NUMBER_FIELDS, numberFieldOf, rangeMessage } from './form-settings';
import { checkRunMemory } from './memory';
import { DEFAULT_TRAIN_FORM, parseTrainForm, PRESETS, presetForm, type TrainForm } from './train-form';

const model = syntheticConfig();
const form = (patch: Partial<TrainForm>): TrainForm => ({ ...DEFAULT_TRAIN_FORM, ...patch });

function errorsOf(f: TrainForm, base = model) {
  const result = parseTrainForm(f, base);
  if (result.ok) throw new Error('expected the form to be refused');
  return result.errors;
}

describe('train form', () => {
  it('parses every preset into a config the engine accepts', () => {
    for (const preset of PRESETS) {
      const result = parseTrainForm(presetForm(preset.id), null);
      expect(result.ok, preset.id).toBe(true);
    }
    const quick = parseTrainForm(presetForm('quick'), model);
    if (!quick.ok) throw new Error('quick preset refused');
    expect(quick.parsed.config.maxSteps).toBe(50);
    expect(quick.parsed.config.epochs).toBeNull();
    expect(quick.parsed.config.valSplit).toBeCloseTo(0.05);
    expect(quick.parsed.samples.prompts).toHaveLength(2);
    const quality = parseTrainForm(presetForm('quality'), null);
    if (!quality.ok) throw new Error('quality preset refused');
    expect(quality.parsed.config.maxSteps).toBeNull();
    expect(quality.parsed.config.epochs).toBe(3);
    expect(quality.parsed.config.patience).toBe(3);
  });

  it('refuses a learning rate of 0, NaN or text with a message on that field', () => {
    expect(errorsOf(form({ learningRate: '0' })).learningRate).toMatch(/above 0/);
    expect(errorsOf(form({ learningRate: 'NaN' })).learningRate).toBe('NaN is not a number.');
    expect(errorsOf(form({ learningRate: 'fast' })).learningRate).toBe('Enter a number.');
  });

  it("refuses a rank larger than the base's layers, naming the projection", () => {
    const errors = errorsOf(form({ rank: String(model.hiddenSize * 8) }));
    expect(errors.rank).toMatch(/larger than the '.+' projection/);
    expect(errors.rank).not.toContain('--');
  });

  it('refuses no targets, a bad split, and a fractional batch', () => {
    const errors = errorsOf(form({ targets: [], valPercent: '100', batchSize: '1.5' }));
    expect(errors.targets).toBeDefined();
    expect(errors.valPercent).toBeDefined();
    expect(errors.batchSize).toBeDefined();
  });

  it('reads the length as steps or epochs, never both', () => {
    const result = parseTrainForm(form({ lengthBy: 'epochs', epochs: '2', maxSteps: 'ignored' }), model);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.parsed.config.epochs).toBe(2);
    expect(result.parsed.config.maxSteps).toBeNull();
  });

  it('takes a budget in MiB', () => {
    const result = parseTrainForm(form({ budgetMiB: '2' }), model);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.parsed.budgetBytes).toBe(2 * 2 ** 20);
  });
});

describe('train form fields against the settings table', () => {
  it.each(NUMBER_BOUNDS)('$key: refused past the same limits as the core and the CLI, naming its label', ({ key, inside, outside }) => {
    const field = numberFieldOf(key);
    const spec = NUMBER_FIELDS[field];
    // A prompt-tuning setting is read only for that method, with room in the sequence for any number of virtual tokens.
    const prompt = key === 'virtualTokens' ? { method: 'prompt' as const, seqLen: '8192' } : {};
    const start = form({ lengthBy: key === 'epochs' ? 'epochs' : 'steps', ...prompt });
    const typed = (v: number) => String(Number((v * spec.scale).toPrecision(12)));
    for (const value of inside) {
      const result = parseTrainForm({ ...start, [field]: typed(value) }, null);
      if (!result.ok) throw new Error(`${field} = ${typed(value)}: ${JSON.stringify(result.errors)}`);
      expect(result.parsed.config[key]).toBeCloseTo(value, 12);
    }
    for (const value of outside) {
      const errors = errorsOf({ ...start, [field]: typed(value) });
      expect(Object.keys(errors), `${field} = ${typed(value)}`).toEqual([field]);
      expect(errors[field]).toBe(rangeMessage(spec));
      expect(errors[field]!.startsWith(`${spec.label} must be `)).toBe(true);
      expect(errors[field]).not.toContain('--');
    }
  });

  it("says the limits in the form's words, a percentage as a percentage", () => {
    expect(errorsOf(form({ seqLen: '1' })).seqLen).toBe('Sequence length must be a whole number, 2 or more.');
    expect(errorsOf(form({ valPercent: '100' })).valPercent).toBe('Validation % must be from 0 to below 100.');
    expect(errorsOf(form({ seed: '-1' })).seed).toBe('Seed must be a whole number from 0 to 4,294,967,295.');
    expect(errorsOf(form({ maxGradNorm: '-1' })).maxGradNorm).toBe('Max grad norm must be 0 or more (0 turns clipping off).');
    expect(errorsOf(form({ sampleTokens: '201' })).sampleTokens).toBe('Sample tokens must be a whole number from 1 to 200.');
  });

  it("refuses a sequence longer than the base's sliding window, as a run would, by the field's label", () => {
    const mistral = syntheticConfig({ architecture: 'mistral', slidingWindow: 64 });
    expect(parseTrainForm(form({ seqLen: '64' }), mistral).ok).toBe(true);
    expect(errorsOf(form({ seqLen: '65' }), mistral).seqLen).toBe(
      "Sequence length: 65 tokens is longer than the model's sliding attention window (64); set Sequence length to 64 or less.",
    );
  });
});

describe('run memory check', () => {
  const parsed = parseTrainForm(DEFAULT_TRAIN_FORM, model);
  if (!parsed.ok) throw new Error('default form refused');
  const { config } = parsed.parsed;

  it('fits a small run and grows with the batch', () => {
    const small = checkRunMemory(config, model, { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 }, undefined);
    expect(small.fits).toBe(true);
    const big = checkRunMemory({ ...config, batchSize: 8 }, model, null, undefined);
    expect(big.estimate.activationBytes).toBeGreaterThan(small.estimate.activationBytes);
  });

  it('plans checkpointing and a smaller micro-batch for a tight budget, named as the form names them', () => {
    const asked = { ...config, batchSize: 8, gradAccum: 1, checkpointing: false };
    const roomy = checkRunMemory(asked, model, null, undefined);
    const withCheckpointing = checkRunMemory({ ...asked, checkpointing: true }, model, null, undefined);
    const budget = Math.floor((roomy.estimate.totalBytes + withCheckpointing.estimate.totalBytes) / 2);
    const planned = checkRunMemory(asked, model, null, budget);
    expect(planned.fits).toBe(true);
    expect(planned.config).toMatchObject({ batchSize: 8, gradAccum: 1, checkpointing: true });
    expect(planned.planLine).toMatch(/^micro-batch 8 × accumulation 1, checkpointing on: [\d.]+ [KM]iB of [\d.]+ [KM]iB$/);
    expect(planned.reason).toMatch(/^Chosen because as set \(micro-batch 8 × accumulation 1, checkpointing off\) the run needs about /);
  });

  it("refuses a run no plan fits, naming the nearest that would in the form's words", () => {
    const tiny = checkRunMemory({ ...config, seqLen: 4096 }, model, { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 }, 2 ** 16);
    expect(tiny.fits).toBe(false);
    expect(tiny.message).toMatch(/^no plan fits: even micro-batch 1 × accumulation \d+, checkpointing on needs [\d.]+ [KM]iB \(the base's weights alone need [\d.]+ KiB, more than the 64\.0 KiB budget; the run needs about [\d.]+ [KM]iB, more than the 64\.0 KiB available\)\./);
    expect(tiny.message).toMatch(/Would fit: .*Memory budget \(MiB\) \d+ or more: about [\d.]+ [KM]iB\.$/);
    expect(tiny.message).not.toContain('--');
  });

});

describe('session notices in the studio', () => {
  it('name the sequence length by its label, never by a flag', () => {
    const text = sessionNoticeText({ kind: 'truncated', count: 3, seqLen: 64 }, FORM_WORDS);
    expect(text).toBe('3 example(s) were longer than Sequence length 64 and were truncated');
    expect(text).not.toContain('--');
  });
});
