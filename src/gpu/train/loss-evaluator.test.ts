/**
 * The model's loss (LossEvaluator) against the trainer's forward and the float64 CPU reference: the base alone,
 * an uploaded host adapter, and the trainer's own parameters seen in place (adapterView). Also that it plans no
 * gradients (less memory than a trainer) and gives every buffer back.
 */
import { describe, expect, it } from 'vitest';
import { adapterFromTrainer } from '../../adapters/from-trainer';
import { releaseLoraAdapter, uploadLoraAdapter } from '../../adapters/gpu-adapter';
import { fixtureHfFolder, syntheticConfig } from '../../model/fixtures';
import { readHfFolder } from '../../model/hf/folder';
import { readHostWeights } from '../../model/host-weights';
import { loraScale } from '../../model/lora-targets';
import { referenceLoraLoss } from '../../model/reference-lora';
import { testContext } from '../testing/gpu';
import { releaseModel, uploadModel } from '../model/upload';
import { randomizeB } from './gradient-check';
import { LoraTrainer } from './lora-trainer';
import { LossEvaluator } from './loss-evaluator';
import { hostAdapters, packSequences, trainerOptions } from './train-testing';

const BATCH = packSequences([[1, 5, 9, 60, 33], [2, 17, 17, 40, 3, 58]], [7]);

async function setup() {
  const ctx = await testContext();
  const config = syntheticConfig({ architecture: 'qwen2', attentionBias: true });
  const { weights } = await readHfFolder(fixtureHfFolder(config, { seed: 3 }), 'loss');
  const host = await readHostWeights(weights.config, weights);
  const up = await uploadModel(ctx, weights);
  const options = trainerOptions({ rank: 3, maxTokens: 12, targets: ['q', 'v', 'o', 'down'] });
  const trainer = new LoraTrainer(ctx, up, options);
  const matrices = randomizeB(await trainer.adapterWeights(), 17);
  trainer.setAdapterWeights(matrices);
  const reference = (adapted: boolean) => {
    const ads = adapted ? hostAdapters(matrices, loraScale(options.lora), config.numLayers) : [];
    const r = referenceLoraLoss(weights.config, host, ads, BATCH, up.invFreq);
    return r.lossSum / r.trainedTokens;
  };
  return { ctx, weights, up, options, trainer, matrices, reference };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('LossEvaluator (the model loss both evaluators use)', () => {
  it("measures the base, an uploaded adapter and the trainer's parameters in place as the trainer and the CPU do", async () => {
    const { ctx, weights, up, options, trainer, matrices, reference } = await setup();
    const maxTokens = 12;

    const base = new LossEvaluator(ctx, up, { maxTokens, adapter: null });
    const baseLoss = await base.loss(BATCH);
    expect(baseLoss.trainedTokens).toBe(BATCH.trainedTokens);
    expect(relative(baseLoss.lossSum / baseLoss.trainedTokens, reference(false))).toBeLessThan(1e-5);
    base.dispose();

    const fromTrainer = await trainer.evaluate(BATCH);
    const host = adapterFromTrainer(options.lora, { config: weights.config, name: 'loss' }, matrices);
    const uploaded = uploadLoraAdapter(ctx, host, weights.config.ropeLayout);
    const withUpload = new LossEvaluator(ctx, up, { maxTokens, adapter: uploaded.inference });
    const uploadLoss = await withUpload.loss(BATCH);
    // The same kernels in the same order as the trainer's forward: the same bits.
    expect(uploadLoss).toEqual(fromTrainer);
    expect(relative(uploadLoss.lossSum / uploadLoss.trainedTokens, reference(true))).toBeLessThan(1e-5);
    expect(relative(uploadLoss.lossSum, baseLoss.lossSum)).toBeGreaterThan(1e-4); // the adapter does something
    withUpload.dispose();
    releaseLoraAdapter(ctx, uploaded);

    const inPlace = new LossEvaluator(ctx, up, { maxTokens, adapter: trainer.adapterView() });
    expect(await inPlace.loss(BATCH)).toEqual(fromTrainer);
    const mean = (await inPlace.meanLoss([BATCH, BATCH]))!;
    expect(mean.trainedTokens).toBe(2 * BATCH.trainedTokens);
    expect(relative(mean.meanLoss, fromTrainer.lossSum / fromTrainer.trainedTokens)).toBeLessThan(1e-6);
    expect(mean.perplexity).toBeCloseTo(Math.exp(mean.meanLoss), 10);
    // Forward only: no per-layer activations, gradients or optimizer state.
    expect(inPlace.bytes).toBeLessThan(trainer.memory().activationBytes);
    inPlace.dispose();
    trainer.dispose();
    releaseModel(ctx, up);
  }, 600_000);

  it('stops between batches when aborted, refuses bad input, and gives back every buffer', async () => {
    const { ctx, up, trainer } = await setup();
    trainer.dispose();
    const before = ctx.memory.inUseBytes;
    const evaluator = new LossEvaluator(ctx, up, { maxTokens: 12, adapter: null });
    expect(ctx.memory.inUseBytes).toBeGreaterThan(before);
    const stop = new AbortController();
    const seen: number[] = [];
    const result = await evaluator.meanLoss([BATCH, BATCH, BATCH], {
      signal: stop.signal,
      onBatch: (done) => {
        seen.push(done);
        if (done === 2) stop.abort();
      },
    });
    expect(result).toBeNull();
    expect(seen).toEqual([1, 2]);
    await expect(evaluator.loss(packSequences([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]]))).rejects.toThrow(
      /loss: the batch holds 13 tokens, more than the trainer's maxTokens \(12\)/,
    );
    evaluator.dispose();
    expect(ctx.memory.inUseBytes).toBe(before);
    await expect(evaluator.loss(BATCH)).rejects.toThrow(/disposed/);
    expect(() => new LossEvaluator(ctx, up, { maxTokens: 12, adapter: { layers: [{}] } })).toThrow(
      /the adapter has 1 layers, the model 2/,
    );
    releaseModel(ctx, up);
  }, 600_000);
});
