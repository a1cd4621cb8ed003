/**
 * The GPU forward pass against the CPU reference forward: on stories260K from both formats, and on small synthetic
 * models that exercise each architecture feature (GQA, q/k/v biases, q/k norms, tied and untied heads, Llama 3
 * RoPE scaling, both RoPE layouts). Also checks that KV-cached decoding gives the same logits as a full forward.
 */
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../model/config';
import { fixtureGguf, fixtureHfFolder, syntheticConfig } from '../../model/fixtures';
import { openGgufModel } from '../../model/gguf/model';
import { readHfFolder } from '../../model/hf/folder';
import { readHostWeights } from '../../model/host-weights';
import { referenceForward } from '../../model/reference-forward';
import { bytesSource } from '../../model/source';
import { fileSource, folderSources } from '../../model/source-node';
import type { ModelWeights } from '../../model/tensor-map';
import { assertClose } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { LlamaModel } from './llama';
import { releaseModel, uploadModel } from './upload';

const MODELS = '../shared/models/stories260K';
// f32 on the GPU vs float64 on the CPU through a few layers: logits of magnitude ~10 agree to ~1e-5 relative.
const TOL = { atol: 2e-4, rtol: 1e-3 };

/** Runs `tokens` on the GPU (prefill of the first `prefill`, then one token at a time) and on the CPU. */
async function compare(weights: ModelWeights, tokens: number[], prefill: number, label: string) {
  const ctx = await testContext();
  const uploaded = await uploadModel(ctx, weights);
  const model = new LlamaModel(ctx, uploaded.config, uploaded.weights, { invFreq: uploaded.invFreq, maxChunkTokens: 8 });
  const host = await readHostWeights(weights.config, weights);
  const vocab = weights.config.vocabSize;
  const all = referenceForward(weights.config, host, tokens);
  const expectedAt = (i: number) => all.subarray(i * vocab, (i + 1) * vocab);
  assertClose(await model.forward(tokens.slice(0, prefill), 0), expectedAt(prefill - 1), TOL, `${label} prefill`);
  for (let i = prefill; i < tokens.length; i++) {
    assertClose(await model.forward([tokens[i]], i), expectedAt(i), TOL, `${label} decode at ${i}`);
  }
}

const PROMPT = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337];

describe('Llama forward on the GPU vs the CPU reference', () => {
  it('stories260K from GGUF (interleaved RoPE rows), prefill chunked in 8s then decode', async () => {
    const { weights } = await openGgufModel(await fileSource(`${MODELS}/stories260K.gguf`));
    expect(weights.config.ropeLayout).toBe('interleaved');
    await compare(weights, PROMPT, 17, 'stories260K.gguf');
  });

  it('stories260K from the Hugging Face folder (rotate-half RoPE rows, tied head)', async () => {
    const { weights } = await readHfFolder(await folderSources(`${MODELS}/hf`), 'hf');
    expect(weights.config.ropeLayout).toBe('half');
    expect(weights.config.tiedEmbeddings).toBe(true);
    await compare(weights, PROMPT, 17, 'stories260K hf');
  });

  const cases: [string, ModelConfig][] = [
    ['Llama, GQA 4:2, untied head', syntheticConfig({})],
    ['Qwen2: q/k/v biases, GQA, tied head', syntheticConfig({ architecture: 'qwen2', attentionBias: true, tiedEmbeddings: true })],
    ['Qwen3: q/k norms, head dim 16 ≠ hidden/heads', syntheticConfig({ architecture: 'qwen3', qkNorm: true, headDim: 16 })],
    ['multi-head attention (no GQA)', syntheticConfig({ numKvHeads: 4 })],
    [
      'Llama 3 RoPE scaling',
      syntheticConfig({
        headDim: 16,
        numHeads: 2,
        numKvHeads: 1,
        ropeTheta: 500000,
        ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 32 },
      }),
    ],
  ];
  const tokens = [1, 5, 9, 60, 33, 2, 17, 17, 40, 3, 58];

  it.each(cases)('synthetic HF model: %s', async (label, config) => {
    const { weights } = await readHfFolder(fixtureHfFolder(config, { seed: 7 }), label);
    await compare(weights, tokens, 6, label);
  });

  it('synthetic GGUF model (interleaved RoPE layout, BF16 weights)', async () => {
    const config = syntheticConfig({});
    const file = fixtureGguf(config, { seed: 3, dtype: 'BF16' });
    const { weights } = await openGgufModel(bytesSource(file, 'synthetic.gguf'));
    expect(weights.config.ropeLayout).toBe('interleaved');
    await compare(weights, tokens, 6, 'synthetic.gguf');
  });

  it('refuses positions past the context and ids outside the vocabulary', async () => {
    const ctx = await testContext();
    const { weights } = await readHfFolder(fixtureHfFolder(syntheticConfig({ contextLength: 8 })), 'small');
    const up = await uploadModel(ctx, weights);
    const model = new LlamaModel(ctx, up.config, up.weights);
    await expect(model.forward([1, 2, 3], 6)).rejects.toThrow(/exceed the context of 8 tokens/);
    await expect(model.forward([61], 0)).rejects.toThrow(/token id 61 is outside the vocabulary/);
  });

  it('stops a sliding-window model (Mistral v0.1) at its window rather than attend past it', async () => {
    const ctx = await testContext();
    const config = syntheticConfig({ architecture: 'mistral', contextLength: 32, slidingWindow: 6 });
    const { weights } = await readHfFolder(fixtureHfFolder(config), 'mistral');
    expect(weights.config.slidingWindow).toBe(6);
    const up = await uploadModel(ctx, weights);
    const model = new LlamaModel(ctx, up.config, up.weights, { maxContext: 16 });
    expect(model.contextLength).toBe(6);
    await expect(model.forward([1, 2, 3], 4)).rejects.toThrow(/exceed the context of 6 tokens/);
    model.dispose();
    releaseModel(ctx, up);
  });

  it('dispose and releaseModel give back every buffer, so models can be swapped in one context', async () => {
    const ctx = await testContext();
    const { weights } = await readHfFolder(fixtureHfFolder(syntheticConfig({})), 'swap');
    const cycle = async () => {
      const up = await uploadModel(ctx, weights);
      const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq });
      await model.forward([1, 2], 0);
      const held = ctx.memory.inUseBytes;
      model.dispose();
      model.dispose(); // a second call must not park the buffers twice
      releaseModel(ctx, up);
      return { model, held };
    };
    await cycle(); // the first forward may add uniform slabs, which the context keeps for good
    const before = ctx.memory.inUseBytes;
    const { model, held } = await cycle();
    expect(held).toBeGreaterThan(before);
    expect(ctx.memory.inUseBytes).toBe(before);
    await expect(model.forward([1], 0)).rejects.toThrow(/disposed/);
  });
});
