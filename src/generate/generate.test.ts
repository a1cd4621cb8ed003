import { describe, expect, it } from 'vitest';
import { generate, PromptTooLongError, type CausalLM, type GenerationTokenizer } from './generate';

/** A counting model: after token t it strongly predicts t + 1. Records every forward call. */
function countingModel(vocabSize = 10, contextLength = 64) {
  const calls: { tokens: number[]; start: number }[] = [];
  const model: CausalLM = {
    contextLength,
    vocabSize,
    async forward(tokens, start) {
      calls.push({ tokens: [...tokens], start });
      const logits = new Float32Array(vocabSize);
      logits[(tokens[tokens.length - 1] + 1) % vocabSize] = 10;
      return logits;
    },
  };
  return { model, calls };
}

const letters: GenerationTokenizer = {
  decode: (ids) => ids.map((i) => String.fromCharCode(97 + i)).join(''),
  eosIds: [9],
};

describe('generate', () => {
  it('prefills once, then decodes one token per step at the right positions', async () => {
    const { model, calls } = countingModel();
    const steps: string[] = [];
    const r = await generate(model, letters, [0, 1, 2], { greedy: true, maxTokens: 4 }, (s) => steps.push(s.text));
    expect(r.ids).toEqual([3, 4, 5, 6]);
    expect(r.text).toBe('defg');
    expect(r.stopReason).toBe('max-tokens');
    expect(calls).toEqual([
      { tokens: [0, 1, 2], start: 0 },
      { tokens: [3], start: 3 },
      { tokens: [4], start: 4 },
      { tokens: [5], start: 5 },
    ]);
    expect(steps).toEqual(['d', 'de', 'def', 'defg']);
  });

  it('stops on EOS without emitting it, and on a stop string without including it', async () => {
    const { model } = countingModel();
    expect((await generate(model, letters, [6], { greedy: true, maxTokens: 10 })).stopReason).toBe('eos');
    const shown: string[] = [];
    const r = await generate(model, letters, [0], { greedy: true, maxTokens: 10, stop: ['de'] }, (s) => shown.push(s.text));
    expect(r.text).toBe('bc');
    // 'd' is held back while it could still start the stop string; nothing shown is ever taken back.
    expect(shown).toEqual(['b', 'bc', 'bc', 'bc']);
    expect(r.stopReason).toBe('stop-string');
  });

  it('refuses a prompt that fills the context unless truncation is asked for', async () => {
    const { model, calls } = countingModel(10, 4);
    await expect(generate(model, letters, [0, 1, 2, 3, 4], { greedy: true, maxTokens: 2 })).rejects.toThrow(
      PromptTooLongError,
    );
    const r = await generate(model, letters, [0, 1, 2, 3, 4], { greedy: true, maxTokens: 5, overflow: 'truncate' });
    expect(calls[0].tokens).toEqual([2, 3, 4]);
    expect(r.stopReason).toBe('context');
  });

  it('stops when aborted', async () => {
    const { model } = countingModel();
    const controller = new AbortController();
    const r = await generate(model, letters, [0], { greedy: true, maxTokens: 8, signal: controller.signal }, (s) => {
      if (s.text.length === 2) controller.abort();
    });
    expect(r.ids).toEqual([1, 2]);
    expect(r.stopReason).toBe('aborted');
  });
});
