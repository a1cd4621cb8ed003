/**
 * IA³ (Liu et al. 2022, PEFT's IA3) trained by the same engine: vectors on the k and v outputs and on the down
 * projection's input (PEFT's Llama placement), or on every projection. The GPU's gradients against central
 * finite differences (float64) of the CPU reference loss with IA³ written from the method's formulas
 * (src/model/reference-lora.ts); and a short run that lowers the loss of stories260K on four sequences.
 */
import { describe, expect, it } from 'vitest';
import { readHfFolder } from '../../model/hf/folder';
import type { TokenBatch } from '../../data/batch-types';
import type { ModelConfig } from '../../model/config';
import { readHostWeights } from '../../model/host-weights';
import type { HostWeights } from '../../model/reference-forward';
import { fixtureHfFolder, syntheticConfig } from '../../model/fixtures';
import { IA3_DEFAULT, LORA_TARGETS, type Ia3Settings } from '../../model/lora-targets';
import { referenceLoraLoss, type HostIa3Adapter, type HostLayerAdapters } from '../../model/reference-lora';
import { finiteDifference } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { mulberry32 } from '../testing/random';
import { LlamaModel } from '../model/llama';
import { releaseModel, uploadModel } from '../model/upload';
import type { Ia3VectorCopy } from './types';
import { LoraTrainer } from './lora-trainer';
import { ADAMW, nf4Host, packSequences, storiesWeights, trainerOptions, expectAdaptedInference, storySequences } from './train-testing';

const BATCH = packSequences([[1, 5, 9, 60, 33, 7], [2, 17, 17, 40, 3]], [2]);

function hostIa3(vectors: readonly Ia3VectorCopy[], layers: number): HostLayerAdapters[] {
  const out: HostLayerAdapters[] = Array.from({ length: layers }, () => ({}));
  for (const v of vectors) out[v.layer][v.target] = { l: Float64Array.from(v.l), side: v.side };
  return out;
}

/**
 * The GPU's IA³ gradients against central finite differences of the float64 reference loss, on `samples` entries
 * of each vector (every `stride`-th vector): vectors set away from their ones first, so each one's gradient depends
 * on the others. Returns ‖g − fd‖ / ‖fd‖ and ‖fd‖.
 */
async function ia3GradientError(
  trainer: LoraTrainer,
  reference: { config: ModelConfig; host: HostWeights; invFreq?: Float32Array },
  batch: TokenBatch,
  next: () => number,
  options: { samples: number; stride?: number },
): Promise<{ relative: number; norm: number }> {
  const start = (await trainer.ia3Vectors()).map((v) => ({ ...v, l: Float32Array.from(v.l, () => 0.6 + 0.8 * next()) }));
  trainer.setIa3Vectors(start);
  await trainer.accumulate(batch);
  const grads = await trainer.ia3Vectors(true);
  const adapters = hostIa3(start, reference.config.numLayers);
  const meanLoss = () => {
    const r = referenceLoraLoss(reference.config, reference.host, adapters, batch, reference.invFreq);
    return r.lossSum / r.trainedTokens;
  };
  const gs: number[] = [];
  const fds: number[] = [];
  for (const g of grads.filter((_, i) => i % (options.stride ?? 1) === 0)) {
    const ad = adapters[g.layer][g.target] as HostIa3Adapter;
    const values = ad.l as Float64Array;
    const sampled = Array.from({ length: options.samples }, () => Math.floor(next() * values.length));
    const fd = finiteDifference((probe) => ((ad.l = probe), meanLoss()), values, 1e-3, sampled);
    ad.l = values;
    for (const i of sampled) (gs.push(g.l[i]), fds.push(fd[i]));
  }
  const norm = Math.sqrt(fds.reduce((sum, x) => sum + x * x, 0));
  const diff = Math.sqrt(gs.reduce((sum, g, i) => sum + (g - fds[i]) ** 2, 0));
  return { relative: diff / norm, norm };
}

describe('IA³', () => {
  it.each<[string, Ia3Settings]>([
    ["PEFT's Llama placement (k, v; down on its input)", IA3_DEFAULT],
    ['every projection (gate and up on their inputs too)', { targets: [...LORA_TARGETS], feedforward: ['gate', 'up', 'down'] }],
  ])('gradients on %s match finite differences of the float64 reference (≤ 1e-3)', async (_, ia3) => {
    const ctx = await testContext();
    const config = syntheticConfig({ numLayers: 2 });
    const { weights } = await readHfFolder(fixtureHfFolder(config, { seed: 6 }), 'ia3');
    const up = await uploadModel(ctx, weights);
    const host = await readHostWeights(weights.config, weights);
    const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: 12, ia3 }));
    const { relative, norm } = await ia3GradientError(trainer, { config: weights.config, host, invFreq: up.invFreq }, BATCH, mulberry32(3), { samples: 6 });
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
    const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: 12, ia3: IA3_DEFAULT }));
    const batch = packSequences([[1, 403, 407, 261, 378, 432], [1, 376, 298, 315, 421]]);
    const reference = { config: weights.config, host, invFreq: up.invFreq };
    const { relative, norm } = await ia3GradientError(trainer, reference, batch, mulberry32(9), { samples: 4, stride: 2 });
    expect(norm).toBeGreaterThan(0);
    expect(relative).toBeLessThan(1e-3);
    trainer.dispose();
    releaseModel(ctx, up);
  }, 600_000);

  it('gives the same gradients with gradient checkpointing (each layer recomputed in the backward) as without', async () => {
    const ctx = await testContext();
    const { weights } = await readHfFolder(fixtureHfFolder(syntheticConfig({ numLayers: 3 }), { seed: 8 }), 'ia3-ckpt');
    const up = await uploadModel(ctx, weights);
    const ia3 = { targets: ['k', 'v', 'up', 'down'] as const, feedforward: ['up', 'down'] as const };
    const gradients = async (checkpointing: boolean) => {
      const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: 12, ia3, checkpointing }));
      const next = mulberry32(5);
      trainer.setIa3Vectors((await trainer.ia3Vectors()).map((v) => ({ ...v, l: Float32Array.from(v.l, () => 0.5 + next()) })));
      await trainer.accumulate(BATCH);
      const g = await trainer.ia3Vectors(true);
      trainer.dispose();
      return g;
    };
    const plain = await gradients(false);
    const recomputed = await gradients(true);
    expect(recomputed.map((g) => g.l)).toEqual(plain.map((g) => g.l));
    expect(plain.every((g) => g.l.some((x) => x !== 0))).toBe(true);
    releaseModel(ctx, up);
  }, 600_000);

  it('applies the vectors in inference (LlamaModel, prefill and decode) as the float64 reference does', async () => {
    const ctx = await testContext();
    const { weights } = await readHfFolder(fixtureHfFolder(syntheticConfig({ numLayers: 2 }), { seed: 7 }), 'ia3-infer');
    const up = await uploadModel(ctx, weights);
    const host = await readHostWeights(weights.config, weights);
    const ia3 = { targets: ['k', 'v', 'o', 'down'] as const, feedforward: ['down'] as const };
    const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: 12, ia3 }));
    const next = mulberry32(11);
    const vectors = (await trainer.ia3Vectors()).map((v) => ({ ...v, l: Float32Array.from(v.l, () => 0.5 + next()) }));
    trainer.setIa3Vectors(vectors);
    const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxContext: 16 });
    model.setAdapter(trainer.adapterView());
    const tokens = [1, 5, 9, 60, 33, 7];
    const referenceNll = (prefix: number[], target: number) => {
      const batch = packSequences([[...prefix, target]], prefix.slice(0, -1).map((_, i) => i));
      return referenceLoraLoss(weights.config, host, hostIa3(vectors, weights.config.numLayers), batch, up.invFreq).lossSum;
    };
    await expectAdaptedInference(model, tokens, referenceNll);
    model.dispose();
    trainer.dispose();
    releaseModel(ctx, up);
  }, 600_000);

  it('lowers the loss of four stories260K sequences from the base model, whose loss it starts at', async () => {
    const ctx = await testContext();
    const batch = packSequences(await storySequences());
    const up = await uploadModel(ctx, await storiesWeights());
    const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: batch.tokens.length, ia3: IA3_DEFAULT }));
    const lora = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: batch.tokens.length }));
    const base = await lora.evaluate(batch); // a fresh LoRA (B = 0) is the base model
    lora.dispose();
    const first = await trainer.evaluate(batch);
    expect(first.lossSum).toBeCloseTo(base.lossSum, 3); // ones: the base model
    const vectors = await trainer.ia3Vectors();
    expect(vectors.map((v) => `${v.target}:${v.side}:${v.l.length}`).slice(0, 3)).toEqual(['k:output:32', 'v:output:32', 'down:input:172']);
    for (let step = 0; step < 60; step++) {
      await trainer.accumulate(batch);
      await trainer.step({ ...ADAMW, learningRate: 3e-2 });
    }
    const last = await trainer.evaluate(batch);
    expect(last.lossSum / first.lossSum).toBeLessThan(0.8);
    expect(() => new LoraTrainer(ctx, up, trainerOptions({ ia3: IA3_DEFAULT, dropout: 0.1 }))).toThrow(/LoRA dropout \(0.1\) does not apply to IA³/);
    expect(() => new LoraTrainer(ctx, up, trainerOptions({ ia3: { targets: ['k'], feedforward: ['down'] } }))).toThrow(
      /IA³ feed-forward module 'down' is not among the targets k/,
    );
    await expect(trainer.adapterWeights()).rejects.toThrow(/adapterWeights: this trainer trains IA³ vectors, not LoRA matrices/);
    trainer.dispose();
    releaseModel(ctx, up);
  }, 600_000);
});
