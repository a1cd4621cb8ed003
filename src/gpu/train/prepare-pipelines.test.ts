/**
 * Pipelines ahead of time (GpuContext.prepareKernels): the trainer's and the inference model's rehearsals create
 * every pipeline their real work then uses — a step, an evaluation, a prefill and a decoded token create none —
 * and a rehearsal changes nothing: a prepared trainer and model give bit-identical results to unprepared ones.
 * Each case runs on a context of its own (an empty registry) on the shared device; the device keeps what compiled
 * (registry.ts), so what is counted is which specializations each context's work asks for, not compile time.
 */
import { describe, expect, it } from 'vitest';
import { GpuContext } from '../context';
import { LlamaModel } from '../model/llama';
import { releaseModel, uploadModel } from '../model/upload';
import { testContext } from '../testing/gpu';
import { LoraTrainer } from './lora-trainer';
import { ADAMW, packSequences, storiesWeights, trainerOptions } from './train-testing';

async function freshContext(): Promise<GpuContext> {
  const { device, report } = await testContext();
  return new GpuContext(device, report);
}

const SEQUENCES = [
  [5, 9, 14, 22, 31, 40, 47, 52, 60],
  [7, 11, 19, 26, 33],
];

/** One accumulate, one step and one evaluation; the loss, the evaluation and the adapter afterwards. */
async function trainOnce(ctx: GpuContext, prepare: boolean, checkpointing: boolean) {
  const batch = packSequences(SEQUENCES);
  const up = await uploadModel(ctx, await storiesWeights());
  const trainer = new LoraTrainer(ctx, up, trainerOptions({ maxTokens: batch.tokens.length, checkpointing, dropout: 0.1 }));
  const prepared = prepare ? await trainer.preparePipelines() : 0;
  const before = ctx.kernels.size;
  await trainer.accumulate(batch);
  const step = await trainer.step(ADAMW);
  const evaluation = await trainer.evaluate(batch);
  const weights = await trainer.adapterWeights();
  const created = ctx.kernels.size - before;
  trainer.dispose();
  releaseModel(ctx, up);
  return { prepared, created, step, evaluation, weights };
}

describe('pipelines ahead of time', () => {
  for (const checkpointing of [false, true]) {
    it(`a prepared trainer's step and evaluation create no pipeline and match an unprepared one${checkpointing ? ' (recomputation)' : ''}`, async () => {
      const prepared = await trainOnce(await freshContext(), true, checkpointing);
      const plain = await trainOnce(await freshContext(), false, checkpointing);
      expect(prepared.prepared).toBeGreaterThan(10);
      expect(prepared.created).toBe(0);
      // Without preparing, the same work creates the same set of pipelines on the way.
      expect(plain.created).toBe(prepared.prepared);
      expect(prepared.step).toEqual(plain.step);
      expect(prepared.evaluation).toEqual(plain.evaluation);
      expect(prepared.weights).toEqual(plain.weights);
    }, 360_000);
  }

  it("a prepared model's prefill and decoded tokens create no pipeline and give the same logits", async () => {
    const run = async (prepare: boolean) => {
      const ctx = await freshContext();
      const up = await uploadModel(ctx, await storiesWeights());
      const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxContext: 64, maxChunkTokens: 16 });
      const prepared = prepare ? await model.preparePipelines() : 0;
      const before = ctx.kernels.size;
      const logits = [await model.forward([1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315], 0)];
      // Decoding crosses 16 cached keys, where the attention's key tile changes.
      for (const [i, id] of [421, 395, 317, 426, 338, 401].entries()) logits.push(await model.forward([id], 12 + i));
      const created = ctx.kernels.size - before;
      model.dispose();
      releaseModel(ctx, up);
      return { prepared, created, logits };
    };
    const prepared = await run(true);
    const plain = await run(false);
    expect(prepared.created).toBe(0);
    // The rehearsal covers every chunk length and key count the context allows, more than this one generation.
    expect(plain.created).toBeGreaterThan(5);
    expect(prepared.prepared).toBeGreaterThanOrEqual(plain.created);
    expect(prepared.logits).toEqual(plain.logits);
  });

  it('a kernel that does not compile is named, and the rehearsal is over', async () => {
    const ctx = await freshContext();
    const work = () => void ctx.kernel({ name: 'broken_forward', code: '@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }' });
    await expect(ctx.prepareKernels(work)).rejects.toThrow(/WGSL kernel 'broken_forward' failed to compile/);
    // Outside a rehearsal a kernel has its pipeline again (the context itself stays failed, as after any bad kernel).
    const good = ctx.kernel({ name: 'good_forward', code: '@compute @workgroup_size(1) fn main() {}' });
    expect(good.pipeline).toBeDefined();
  });
});
