import { describe, expect, it } from 'vitest';
import type { LoraBaseShape } from '../adapters/lora-weights';
import { completeBaseFacts } from './base-facts';

const loaded: LoraBaseShape = {
  architecture: 'llama',
  hiddenSize: 64,
  intermediateSize: 172,
  numLayers: 5,
  numHeads: 8,
  numKvHeads: 4,
  headDim: 8,
  vocabSize: 512,
};
const partial: LoraBaseShape = { ...loaded, architecture: null, numHeads: null, numKvHeads: null, headDim: null, vocabSize: null, intermediateSize: null };

describe('completeBaseFacts', () => {
  it('fills what the adapter did not record from a loaded base that agrees', () => {
    expect(completeBaseFacts(partial, loaded)).toEqual({ ok: true, base: loaded });
  });

  it('keeps the record as it is without a loaded base', () => {
    expect(completeBaseFacts(partial, null)).toEqual({ ok: true, base: partial });
  });

  it('names every disagreement with a loaded base that is not the adapter’s', () => {
    const result = completeBaseFacts({ ...partial, hiddenSize: 288, numLayers: 6 }, loaded);
    expect(result).toEqual({ ok: false, disagreements: ['hidden size 288 vs 64', 'layers 6 vs 5'] });
  });

  it('treats a Mistral base as the llama family llama.cpp runs it as', () => {
    expect(completeBaseFacts({ ...partial, architecture: 'llama' }, { ...loaded, architecture: 'mistral' }).ok).toBe(true);
  });
});
