/**
 * Inference during a run reads the trainer's adapter in place (LoraTrainer.adapterView): the same logits as a host
 * copy read back and uploaded, with no copy made, and still right after the optimizer has moved the parameters.
 */
import { describe, expect, it } from 'vitest';
import { adapterFromTrainer } from '../../adapters/from-trainer';
import { releaseLoraAdapter, uploadLoraAdapter } from '../../adapters/gpu-adapter';
import { fixtureHfFolder, syntheticConfig } from '../../model/fixtures';
import { readHfFolder } from '../../model/hf/folder';
import { testContext } from '../testing/gpu';
import { LlamaModel } from '../model/llama';
import { isIa3 } from '../lora/adapted-linear';
import { releaseModel, uploadModel } from '../model/upload';
import { randomizeB } from './gradient-check';
import { LoraTrainer } from './lora-trainer';
import { ADAMW, packSequences, trainerOptions } from './train-testing';

describe('LoraTrainer.adapterView', () => {
  it('gives the inference model the trainer’s parameters on the GPU, following every step', async () => {
    const ctx = await testContext();
    const config = syntheticConfig({ architecture: 'qwen3', qkNorm: true, headDim: 16 });
    const { weights } = await readHfFolder(fixtureHfFolder(config, { seed: 5 }), 'view');
    const up = await uploadModel(ctx, weights);
    const options = trainerOptions({ rank: 2, maxTokens: 12, targets: ['q', 'k', 'up', 'down'] });
    const trainer = new LoraTrainer(ctx, up, options);
    trainer.setAdapterWeights(randomizeB(await trainer.adapterWeights(), 9, 0.5));
    const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxChunkTokens: 8 });
    const prompt = [1, 7, 22, 40, 13, 5];
    const base = await model.forward(prompt, 0);

    // Logits with a host copy of the trainer's adapter, uploaded as any imported adapter is.
    const viaCopy = async () => {
      const host = adapterFromTrainer(options.lora, { config: weights.config, name: 'view' }, await trainer.adapterWeights());
      const uploaded = uploadLoraAdapter(ctx, host, weights.config.ropeLayout);
      model.setAdapter(uploaded.inference);
      const logits = await model.forward(prompt, 0);
      model.setAdapter(null);
      releaseLoraAdapter(ctx, uploaded);
      return logits;
    };
    const view = trainer.adapterView();
    const buffers = new Set(view.layers.flatMap((l) => Object.values(l).flatMap((m) => (isIa3(m!) ? [m.l.buffer] : [m!.a.buffer, m!.b.buffer]))));
    expect(buffers.size).toBe(1); // every matrix is a view into the trainer's one parameter buffer: no copy
    const viaView = async () => {
      model.setAdapter(trainer.adapterView());
      const logits = await model.forward(prompt, 0);
      model.setAdapter(null);
      return logits;
    };

    const before = await viaView();
    expect(before).toEqual(await viaCopy());
    expect(before).not.toEqual(base);
    await trainer.accumulate(packSequences([prompt]));
    await trainer.step(ADAMW);
    const after = await viaView();
    expect(after).toEqual(await viaCopy());
    expect(after).not.toEqual(before);
    expect(await model.forward(prompt, 0)).toEqual(base); // detached again: the frozen base alone
    model.dispose();
    trainer.dispose();
    expect(() => trainer.adapterView()).toThrow(/disposed/);
    releaseModel(ctx, up);
  }, 600_000);
});
