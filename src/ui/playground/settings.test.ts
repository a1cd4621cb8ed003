import { describe, expect, it } from 'vitest';
import { DEFAULT_FORM, parseForm } from './settings';

describe('parseForm', () => {
  it('turns the default form into greedy settings', () => {
    const parsed = parseForm(DEFAULT_FORM, 512);
    expect(parsed).toEqual({
      ok: true,
      settings: {
        prompt: 'Once upon a time',
        chat: false,
        maxTokens: 128,
        sampling: { greedy: true, temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1, seed: 0 },
      },
    });
  });

  it('names every bad field, and caps max tokens at the context', () => {
    const parsed = parseForm(
      { ...DEFAULT_FORM, greedy: false, maxTokens: '600', temperature: '0', topK: '2.5', topP: '1.5', seed: '' },
      512,
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.errors).sort()).toEqual(['maxTokens', 'seed', 'temperature', 'topK', 'topP']);
    expect(parsed.errors.maxTokens).toBe('A whole number from 1 to 512.');
  });

  it('ignores sampling-only fields when greedy, but not the repetition penalty', () => {
    const form = { ...DEFAULT_FORM, temperature: 'x', topP: '', repetitionPenalty: '0' };
    expect(parseForm(form, 512)).toEqual({ ok: false, errors: { repetitionPenalty: 'More than 0 (1 is off).' } });
  });
});
