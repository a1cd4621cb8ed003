/**
 * DoRA (Liu et al. 2024, PEFT's use_dora) trained by the same engine: the GPU's gradients of A, B and the
 * magnitudes against central finite differences (float64) of the CPU reference loss with DoRA written from the
 * paper's formula (src/model/reference-lora.ts, row norms held at the step's values as the method detaches them),
 * on dense, biased and NF4 bases; checkpointing; inference through LlamaModel; and a short run that lowers the loss.
 */
import { describe, expect, it } from 'vitest';
import { readHfFolder } from '../../model/hf/folder';
import { readHostWeights } from '../../model/host-weights';
import { fixtureHfFolder, syntheticConfig } from '../../model/fixtures';
import { doraRowNorms, referenceLoraLoss } from '../../model/reference-lora';
import { testContext } from '../testing/gpu';
import { LlamaModel } from '../model/llama';
import { releaseModel, uploadModel } from '../model/upload';
import { checkModelGradients, randomizeB, type GradientCheckReport } from './gradient-check';
import { LoraTrainer } from './lora-trainer';
import { ADAMW, hostAdapters, nf4Host, packSequences, storiesWeights, trainerOptions, expectAdaptedInference, storySequences } from './train-testing';
import type { TrainerOptions } from './types';

const BATCH = packSequences([[1, 5, 9, 60, 33, 7], [2, 17, 17, 40, 3]], [2]);
const STORIES_BATCH = packSequences([[1, 403, 407, 261, 378, 432], [1, 376, 298, 315, 421]], [2]);

/** LoRA settings of rank r on `targets` with DoRA on. */
function doraOptions(over: Parameters<typeof trainerOptions>[0] = {}): TrainerOptions {
  const options = trainerOptions(over);
  return { ...options, lora: { ...options.lora, dora: true } };
}

function expectMatch(report: GradientCheckReport): void {
  expect(report.lossRelative).toBeLessThan(1e-5);
  expect(report.sampledRelative).toBeLessThan(1e-3);
  expect(report.directionalRelative).toBeLessThan(1e-3);
}

describe('DoRA', () => {
  it('gradients of A, B and m on a Qwen2-style base (q/k/v biases, GQA) match finite differences (≤ 1e-3)', async () => {
    const config = syntheticConfig({ architecture: 'qwen2', attentionBias: true });
    const { weights } = await readHfFolder(fixtureHfFolder(config, { seed: 9 }), 'dora-qwen2');
    const report = await checkModelGradients(weights, doraOptions({ rank: 3, maxTokens: 12 }), BATCH, 'DoRA Qwen2', { perMatrix: 3, directions: 2, seed: 6 });
    expectMatch(report);
  }, 600_000);

  it('gradients on an NF4 base (QLoRA) match finite differences of the reference over the dequantized weights', async () => {
    const options = doraOptions({ rank: 2, maxTokens: 12, targets: ['q', 'v', 'gate', 'down'] });
    const fd = { perMatrix: 1, directions: 2, seed: 3 };
    const report = await checkModelGradients(await storiesWeights(), options, STORIES_BATCH, 'DoRA NF4', fd, { quantize: 'nf4' }, nf4Host);
    expectMatch(report);
  }, 600_000);

  it('starts at the base model: m is every adapted row norm ‖W_j‖, and the loss is a fresh LoRA adapter\'s', async () => {
    const ctx = await testContext();
    const weights = await storiesWeights();
    const up = await uploadModel(ctx, weights);
    const host = await readHostWeights(weights.config, weights);
    const dora = new LoraTrainer(ctx, up, doraOptions({ maxTokens: 12, targets: ['k', 'up'] }));
    const lora = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: 12, targets: ['k', 'up'] }));
    const matrices = await dora.adapterWeights();
    for (const m of matrices) {
      const w = m.target === 'k' ? host.layers[m.layer].wk : host.layers[m.layer].wUp;
      const norms = doraRowNorms(w, { a: m.a, b: new Float32Array(m.b.length), rank: m.rank, scale: 1 }, m.outFeatures, m.inFeatures);
      expect(Array.from(m.magnitude!).map((x, j) => Math.abs(x - norms[j]) / norms[j]).every((e) => e < 1e-5)).toBe(true);
    }
    const [a, b] = [await dora.evaluate(STORIES_BATCH), await lora.evaluate(STORIES_BATCH)];
    expect(a.lossSum).toBeCloseTo(b.lossSum, 4);
    dora.dispose();
    lora.dispose();
    releaseModel(ctx, up);
  }, 600_000);

  it('gives the same gradients with gradient checkpointing as without (with dropout, so masks replay)', async () => {
    const ctx = await testContext();
    const up = await uploadModel(ctx, await storiesWeights());
    const gradients = async (checkpointing: boolean) => {
      const trainer = new LoraTrainer(ctx, up, doraOptions({ maxTokens: 12, dropout: 0.2, checkpointing }));
      trainer.setAdapterWeights(randomizeB(await trainer.adapterWeights(), 21));
      await trainer.accumulate(STORIES_BATCH);
      const g = await trainer.adapterGradients();
      trainer.dispose();
      return g;
    };
    const kept = await gradients(false);
    const recomputed = await gradients(true);
    expect(recomputed.map((g) => [g.a, g.b, g.magnitude])).toEqual(kept.map((g) => [g.a, g.b, g.magnitude]));
    expect(kept.every((g) => g.magnitude!.some((x) => x !== 0))).toBe(true);
    releaseModel(ctx, up);
  }, 600_000);

  it('applies the adapter in inference (LlamaModel, prefill and decode) as the float64 reference does', async () => {
    const ctx = await testContext();
    const config = syntheticConfig({ architecture: 'qwen2', attentionBias: true });
    const { weights } = await readHfFolder(fixtureHfFolder(config, { seed: 7 }), 'dora-infer');
    const up = await uploadModel(ctx, weights);
    const host = await readHostWeights(weights.config, weights);
    const trainer = new LoraTrainer(ctx, up, doraOptions({ maxTokens: 12, targets: ['q', 'v', 'o', 'down'] }));
    const matrices = randomizeB(await trainer.adapterWeights(), 4, 0.3);
    trainer.setAdapterWeights(matrices);
    const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxContext: 16 });
    model.setAdapter(trainer.adapterView());
    const adapters = hostAdapters(matrices, trainer.loraScale, config.numLayers, host);
    const tokens = [1, 5, 9, 60, 33, 7];
    const referenceNll = (prefix: number[], target: number) =>
      referenceLoraLoss(config, host, adapters, packSequences([[...prefix, target]], prefix.slice(0, -1).map((_, i) => i)), up.invFreq).lossSum;
    await expectAdaptedInference(model, tokens, referenceNll);
    model.dispose();
    trainer.dispose();
    releaseModel(ctx, up);
  }, 600_000);

  it('lowers the loss of four stories260K sequences; LoRA+ steps the magnitudes with the Bs', async () => {
    const ctx = await testContext();
    const batch = packSequences(await storySequences());
    const up = await uploadModel(ctx, await storiesWeights());
    const trainer = new LoraTrainer(ctx, up, doraOptions({ maxTokens: batch.tokens.length }));
    const first = await trainer.evaluate(batch);
    for (let step = 0; step < 30; step++) {
      await trainer.accumulate(batch);
      await trainer.step({ ...ADAMW, learningRate: 1e-2 });
    }
    const last = await trainer.evaluate(batch);
    expect(last.lossSum / first.lossSum).toBeLessThan(0.8);
    trainer.dispose();
    // One AdamW step moves every parameter by about lr (its first step is lr·sign(g)): the magnitudes, in the tail,
    // by lr·ratio.
    const moved = async (ratio: number) => {
      const t = new LoraTrainer(ctx, up, doraOptions({ maxTokens: batch.tokens.length }));
      t.setAdapterWeights(randomizeB(await t.adapterWeights(), 5));
      const before = await t.adapterWeights();
      await t.accumulate(batch);
      await t.step({ ...ADAMW, learningRate: 1e-3, maxGradNorm: 0, loraPlusRatio: ratio });
      const after = await t.adapterWeights();
      t.dispose();
      const step = (i: number) => Math.max(...after[i].magnitude!.map((x, j) => Math.abs(x - before[i].magnitude![j])));
      return step(0);
    };
    expect((await moved(16)) / (await moved(1))).toBeCloseTo(16, 1);
    releaseModel(ctx, up);
  }, 600_000);
});
