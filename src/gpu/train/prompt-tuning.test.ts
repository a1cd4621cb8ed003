/**
 * Prompt tuning (Lester et al. 2021, PEFT's PROMPT_TUNING) trained by the same engine: P virtual-token embeddings
 * before every sequence. The GPU's gradient against central finite differences (float64) of the CPU reference loss
 * with the prompt's rows as the virtual slots' embeddings (src/model/reference-lora.ts); the initialisation from
 * token embeddings; checkpointing; inference (LlamaModel) against the reference; and a short run that lowers the
 * loss of stories260K on four sequences.
 */
import { describe, expect, it } from 'vitest';
import type { TokenBatch } from '../../data/batch-types';
import type { ModelConfig } from '../../model/config';
import { fixtureHfFolder, syntheticConfig } from '../../model/fixtures';
import { readHfFolder } from '../../model/hf/folder';
import { readHostWeights } from '../../model/host-weights';
import type { HostWeights } from '../../model/reference-forward';
import { referenceLoraLoss } from '../../model/reference-lora';
import { LlamaModel } from '../model/llama';
import { releaseModel, uploadModel } from '../model/upload';
import { finiteDifference } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { mulberry32 } from '../testing/random';
import { LoraTrainer } from './lora-trainer';
import { LossEvaluator } from './loss-evaluator';
import { ADAMW, nf4Host, packSequences, packWithPrompt, storiesWeights, trainerOptions, expectAdaptedInference, storySequences } from './train-testing';

const P = 3;
const BATCH = packWithPrompt([[1, 5, 9, 60, 33, 7], [2, 17, 17, 40, 3]], P);
const prompt = (init: number[]) => ({ virtualTokens: init.length, init: Uint32Array.from(init) });

/**
 * The GPU's prompt gradient against central finite differences of the float64 reference loss on `samples`
 * entries, the prompt moved off its initial embeddings first. Returns ‖g − fd‖ / ‖fd‖ and ‖fd‖.
 */
async function promptGradientError(
  trainer: LoraTrainer,
  reference: { config: ModelConfig; host: HostWeights; invFreq?: Float32Array },
  batch: TokenBatch,
  next: () => number,
  samples: number,
): Promise<{ relative: number; norm: number }> {
  const start = Float32Array.from(await trainer.promptEmbeddings(), (x) => x + (next() - 0.5) * 0.2);
  trainer.setPromptEmbeddings(start);
  await trainer.accumulate(batch);
  const g = await trainer.promptEmbeddings(true);
  const meanLoss = (embeddings: Float64Array) => {
    const r = referenceLoraLoss(reference.config, reference.host, [], batch, reference.invFreq, { virtualTokens: batch.virtualTokens!, embeddings });
    return r.lossSum / r.trainedTokens;
  };
  const sampled = Array.from({ length: samples }, () => Math.floor(next() * start.length));
  const fd = finiteDifference(meanLoss, start, 1e-3, sampled);
  const norm = Math.sqrt(sampled.reduce((s, i) => s + fd[i] ** 2, 0));
  const diff = Math.sqrt(sampled.reduce((s, i) => s + (g[i] - fd[i]) ** 2, 0));
  return { relative: diff / norm, norm };
}

describe('prompt tuning', () => {
  it('gradients match finite differences of the float64 reference (≤ 1e-3), with q/k/v biases', async () => {
    const ctx = await testContext();
    const config = syntheticConfig({ architecture: 'qwen2', attentionBias: true, numLayers: 2 });
    const { weights } = await readHfFolder(fixtureHfFolder(config, { seed: 6 }), 'prompt');
    const up = await uploadModel(ctx, weights);
    const host = await readHostWeights(weights.config, weights);
    const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: BATCH.tokens.length, prompt: prompt([3, 8, 3]) }));
    const { relative, norm } = await promptGradientError(trainer, { config: weights.config, host, invFreq: up.invFreq }, BATCH, mulberry32(3), 24);
    expect(norm).toBeGreaterThan(0);
    expect(relative).toBeLessThan(1e-3);
    trainer.dispose();
    releaseModel(ctx, up);
  }, 600_000);

  it('gradients on an NF4 base (QLoRA) match finite differences of the reference over the dequantized weights', async () => {
    const ctx = await testContext();
    const weights = await storiesWeights();
    const up = await uploadModel(ctx, weights, { quantize: 'nf4' });
    const host = nf4Host(await readHostWeights(weights.config, weights));
    const batch = packWithPrompt([[1, 403, 407, 261, 378, 432], [1, 376, 298, 315, 421]], 4);
    const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: batch.tokens.length, prompt: prompt([261, 378, 5, 9]) }));
    const { relative, norm } = await promptGradientError(trainer, { config: weights.config, host, invFreq: up.invFreq }, batch, mulberry32(9), 24);
    expect(norm).toBeGreaterThan(0);
    expect(relative).toBeLessThan(1e-3);
    trainer.dispose();
    releaseModel(ctx, up);
  }, 600_000);

  it('starts at the embeddings of its initial tokens, and gives the same gradient with gradient checkpointing', async () => {
    const ctx = await testContext();
    const { weights } = await readHfFolder(fixtureHfFolder(syntheticConfig({ numLayers: 3 }), { seed: 8 }), 'prompt-ckpt');
    const up = await uploadModel(ctx, weights);
    const host = await readHostWeights(weights.config, weights);
    const c = weights.config.hiddenSize;
    const gradient = async (checkpointing: boolean) => {
      const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: BATCH.tokens.length, prompt: prompt([7, 2, 7]), checkpointing }));
      const init = await trainer.promptEmbeddings();
      await trainer.accumulate(BATCH);
      const g = await trainer.promptEmbeddings(true);
      trainer.dispose();
      return { init, g };
    };
    const plain = await gradient(false);
    const rows = [7, 2, 7].flatMap((id) => Array.from(host.tokenEmbedding.subarray(id * c, (id + 1) * c)));
    expect(Array.from(plain.init)).toEqual(rows);
    const recomputed = await gradient(true);
    expect(recomputed.g).toEqual(plain.g);
    expect(plain.g.some((x) => x !== 0)).toBe(true);
    releaseModel(ctx, up);
  }, 600_000);

  it('runs its virtual tokens first in inference (LlamaModel, prefill and decode) as the float64 reference does', async () => {
    const ctx = await testContext();
    const { weights } = await readHfFolder(fixtureHfFolder(syntheticConfig({ numLayers: 2 }), { seed: 7 }), 'prompt-infer');
    const up = await uploadModel(ctx, weights);
    const host = await readHostWeights(weights.config, weights);
    const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: 12, prompt: prompt([4, 5, 6]) }));
    const next = mulberry32(11);
    const embeddings = Float32Array.from(await trainer.promptEmbeddings(), (x) => x + next() - 0.5);
    trainer.setPromptEmbeddings(embeddings);
    const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxContext: 16 });
    expect(model.contextLength).toBe(16);
    model.setAdapter(trainer.adapterView());
    expect(model.contextLength).toBe(13);
    const tokens = [1, 5, 9, 60, 33, 7];
    // The reference scores one target after the prefix, only the last slot trained.
    const referenceNll = (prefix: number[], target: number) => {
      const batch = packWithPrompt([[...prefix, target]], P);
      const only = { ...batch, targets: batch.targets.map((t, i) => (i === batch.targets.length - 2 ? t : -1)) };
      return referenceLoraLoss(weights.config, host, [], only, up.invFreq, { virtualTokens: P, embeddings }).lossSum;
    };
    // The loss evaluator (eval, Compare) with the same adapter gives the trainer's loss of a batch.
    const small = packWithPrompt([[1, 5, 9, 60, 33]], P);
    const evaluator = new LossEvaluator(ctx, up, { maxTokens: 12, adapter: trainer.adapterView() });
    expect((await evaluator.loss(small)).lossSum).toBeCloseTo((await trainer.evaluate(small)).lossSum, 5);
    expect((await evaluator.loss(small)).lossSum).toBeCloseTo(
      referenceLoraLoss(weights.config, host, [], small, up.invFreq, { virtualTokens: P, embeddings }).lossSum,
      4,
    );
    evaluator.dispose();
    await expect(model.forward([1], 13)).rejects.toThrow(/exceed the context of 13 tokens/);
    await expectAdaptedInference(model, tokens, referenceNll);
    model.dispose();
    trainer.dispose();
    releaseModel(ctx, up);
  }, 600_000);

  it('lowers the loss of four stories260K sequences; refuses what does not apply', async () => {
    const ctx = await testContext();
    const ids = await storySequences();
    const batch = packWithPrompt(ids, 8);
    const up = await uploadModel(ctx, await storiesWeights());
    const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: batch.tokens.length, prompt: prompt([403, 407, 261, 378, 432, 376, 298, 315]) }));
    const first = await trainer.evaluate(batch);
    for (let step = 0; step < 60; step++) {
      await trainer.accumulate(batch);
      await trainer.step({ ...ADAMW, learningRate: 3e-2 });
    }
    const last = await trainer.evaluate(batch);
    console.log('prompt tuning loss', first.lossSum / first.trainedTokens, '→', last.lossSum / last.trainedTokens);
    expect(last.lossSum / first.lossSum).toBeLessThan(0.8);
    await expect(trainer.evaluate(packSequences(ids))).rejects.toThrow(/laid out for 0 virtual tokens per sequence, the model has 8/);
    await expect(trainer.adapterWeights()).rejects.toThrow(/adapterWeights: this trainer trains a prompt, not LoRA matrices/);
    expect(() => new LoraTrainer(ctx, up, trainerOptions({ prompt: prompt([1, 2]), dropout: 0.1 }))).toThrow(/does not apply to prompt tuning/);
    expect(() => new LoraTrainer(ctx, up, trainerOptions({ prompt: { virtualTokens: 3, init: Uint32Array.of(1) } }))).toThrow(/1 ids for 3 virtual tokens/);
    trainer.dispose();
    releaseModel(ctx, up);
  }, 600_000);
});
