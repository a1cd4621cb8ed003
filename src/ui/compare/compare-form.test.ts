import { describe, expect, it } from 'vitest';
import { columnsOf, DEFAULT_EVAL_FORM, MAX_ADAPTERS, parseEvalForm, toggleAdapter } from './compare-form';

describe('adapter choice', () => {
  it('adds and removes, and stops at eight adapters (the slots of a batch)', () => {
    let selected: string[] = [];
    for (const id of 'abcdefghi') selected = toggleAdapter(selected, id);
    expect(selected).toEqual([...'abcdefgh']);
    expect(selected).toHaveLength(MAX_ADAPTERS);
    selected = toggleAdapter(selected, 'b');
    expect(selected).toEqual([...'acdefgh']);
    expect(toggleAdapter(selected, 'i')).toEqual([...'acdefghi']);
  });

  it('puts the base first, then the adapters in the order chosen, dropping ids gone from the library', () => {
    const library = [
      { id: 'x', name: 'moon', baseModel: 'stories260K', method: 'LoRA' },
      { id: 'y', name: 'sun', baseModel: 'stories260K', method: 'IA³' },
    ];
    expect(columnsOf('stories260K.gguf', ['y', 'gone', 'x'], library)).toEqual([
      { adapterId: null, label: 'Base: stories260K.gguf' },
      { adapterId: 'y', label: 'sun' },
      { adapterId: 'x', label: 'moon' },
    ]);
  });
});

describe('evaluation form', () => {
  it('parses the defaults into the Datasets view split (10%, seed 0)', () => {
    expect(parseEvalForm(DEFAULT_EVAL_FORM)).toEqual({
      ok: true,
      settings: { format: 'auto', seqLen: 128, batchSize: 8, validationFraction: 0.1, seed: 0, trainOnInputs: false },
    });
  });

  it('names every bad field', () => {
    const parsed = parseEvalForm({ seqLen: '1', validationPercent: '100', batchSize: 'x', trainOnInputs: true });
    expect(parsed).toEqual({
      ok: false,
      errors: {
        seqLen: 'A whole number, 2 or more.',
        validationPercent: 'More than 0, less than 100.',
        batchSize: 'Enter a number.',
      },
    });
  });
});
