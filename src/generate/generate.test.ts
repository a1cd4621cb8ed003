import { describe, expect, it } from 'vitest';
import { generate, generateBatch, PromptTooLongError, type BatchedCausalLM, type CausalLM, type GenerationTokenizer } from './generate';

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

/** N counting sequences in lockstep, sequence j's logits shifted by j (as if each had its own adapter). */
function batchedCountingModel(sequences: number, vocabSize = 10, contextLength = 64) {
  const calls: { tokens: number[][]; start: number }[] = [];
  const model: BatchedCausalLM = {
    contextLength,
    vocabSize,
    sequences,
    async forwardBatch(tokens, start) {
      calls.push({ tokens: tokens.map((t) => [...t]), start });
      return tokens.map((t, j) => {
        const logits = new Float32Array(vocabSize);
        logits[(t[t.length - 1] + 1 + j) % vocabSize] = 10;
        logits[(t[t.length - 1] + 2 + j) % vocabSize] = 9.5;
        return logits;
      });
    },
  };
  return { model, calls };
}

/** Sequence j of the batched model, alone. */
function shiftedModel(j: number, vocabSize = 10, contextLength = 64): CausalLM {
  const { model } = batchedCountingModel(j + 1, vocabSize, contextLength);
  return {
    contextLength,
    vocabSize,
    forward: async (tokens, start) => (await model.forwardBatch(new Array(j + 1).fill(tokens), start))[j],
  };
}

describe('generateBatch', () => {
  it('gives every sequence what generate gives it alone: its own sampling, seed, stops and budget', async () => {
    const options = [
      { greedy: true, maxTokens: 6 },
      { greedy: false, temperature: 1.5, seed: 7, maxTokens: 6 },
      { greedy: true, maxTokens: 3 },
      { greedy: true, maxTokens: 6, stop: ['h'] },
    ];
    const { model, calls } = batchedCountingModel(options.length);
    const streamed: string[][] = options.map(() => []);
    const batched = await generateBatch(model, letters, [0, 1], options, (j, s) => streamed[j].push(s.text));
    for (const [j, o] of options.entries()) {
      const alone: string[] = [];
      const single = await generate(shiftedModel(j), letters, [0, 1], o, (s) => alone.push(s.text));
      expect({ ids: batched[j].ids, text: batched[j].text, stop: batched[j].stopReason }).toEqual({
        ids: single.ids,
        text: single.text,
        stop: single.stopReason,
      });
      expect(streamed[j]).toEqual(alone);
    }
    // One prefill of every sequence, then one batched step per position until the longest is done.
    expect(calls[0]).toEqual({ tokens: options.map(() => [0, 1]), start: 0 });
    expect(calls.slice(1).map((c) => c.start)).toEqual(calls.slice(1).map((_, i) => 2 + i));
    expect(calls.every((c) => c.tokens.length === options.length)).toBe(true);
  });

  it('ends sequences at EOS while the others go on, and stops all when aborted', async () => {
    const { model } = batchedCountingModel(2);
    const r = await generateBatch(model, letters, [4], [{ greedy: true, maxTokens: 8 }, { greedy: true, maxTokens: 8 }]);
    expect(r[0].ids).toEqual([5, 6, 7, 8]); // then 9, EOS
    expect(r[0].stopReason).toBe('eos');
    expect(r[1].ids).toEqual([6, 8, 0, 2, 4, 6, 8, 0]); // steps of two from 4 never meet 9
    expect(r[1].stopReason).toBe('max-tokens');
    const controller = new AbortController();
    controller.abort();
    const aborted = await generateBatch(model, letters, [0], [0, 1].map(() => ({ greedy: true, maxTokens: 4, signal: controller.signal })));
    expect(aborted.map((x) => x.stopReason)).toEqual(['aborted', 'aborted']);
  });
});
