import { describe, expect, it } from 'vitest';
import { DEFAULT_DATASET_FORM, parseDatasetForm } from './dataset-form';

describe('parseDatasetForm', () => {
  it('turns the default form into settings', () => {
    expect(parseDatasetForm(DEFAULT_DATASET_FORM)).toEqual({
      ok: true,
      settings: {
        format: 'auto',
        mapping: {},
        onBadRow: 'skip',
        seqLen: 256,
        trainOnInputs: false,
        validationFraction: 0.1,
        seed: 42,
      },
    });
  });

  it('accepts a 0% split and a fractional percentage', () => {
    const zero = parseDatasetForm({ ...DEFAULT_DATASET_FORM, validationPercent: '0' });
    expect(zero.ok && zero.settings.validationFraction).toBe(0);
    const half = parseDatasetForm({ ...DEFAULT_DATASET_FORM, validationPercent: '12.5' });
    expect(half.ok && half.settings.validationFraction).toBe(0.125);
  });

  it('names every field that is wrong', () => {
    const result = parseDatasetForm({ ...DEFAULT_DATASET_FORM, seqLen: '1', validationPercent: '100', seed: '-3' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['seed', 'seqLen', 'validationPercent']);
    expect(result.errors.seqLen).toContain('from 2 to');
  });

  it('refuses text that is not a number', () => {
    const result = parseDatasetForm({ ...DEFAULT_DATASET_FORM, seqLen: '12abc' });
    expect(result.ok ? null : result.errors.seqLen).toBeDefined();
  });
});
