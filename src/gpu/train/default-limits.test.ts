/**
 * The engine on the most restricted device a user may have: one granted only WebGPU's default limits (256 MiB
 * buffers, 128 MiB storage bindings, 8 storage buffers per stage, 16 KiB of workgroup memory, 256 invocations).
 * A model of SmolLM2-135M's exact shapes (a 49,152-row vocabulary, 30 layers; synthetic BF16 weights, as the real
 * checkpoint ships) loads and takes LoRA training steps whose loss goes down, every kernel of a step compiled and
 * run there. (An F32 copy also passes, its 108 MiB embedding within one binding; measured once, left out for time.)
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configFromHf } from '../../model/config';
import { fixtureHfFolder } from '../../model/fixtures';
import { readHfFolder } from '../../model/hf/folder';
import { GpuContext } from '../context';
import { acquireNodeDevice } from '../device-node';
import { releaseModel, uploadModel } from '../model/upload';
import { LoraTrainer } from './lora-trainer';
import { ADAMW, packSequences, trainerOptions } from './train-testing';

const SMOL = configFromHf(JSON.parse(await readFile('../shared/models/SmolLM2-135M-Instruct-tokenizer/config.json', 'utf8')));

describe('a device with only the default limits', () => {
  it(
    'loads a SmolLM2-135M-shaped BF16 model and trains LoRA steps on it',
    async () => {
      const acquired = await acquireNodeDevice({ limits: 'default' });
      const ctx = GpuContext.fromAcquired(acquired);
      expect(ctx.device.limits.maxStorageBufferBindingSize).toBe(128 * 2 ** 20);
      expect(ctx.device.limits.maxBufferSize).toBe(256 * 2 ** 20);
      const { weights } = await readHfFolder(fixtureHfFolder(SMOL, { seed: 3, dtype: 'BF16' }), 'smollm2-shaped');
      const up = await uploadModel(ctx, weights);
      const batch = packSequences([[1, 900, 4000, 77, 31000, 12], [2, 49151, 5, 6000]]);
      const trainer = new LoraTrainer(ctx, up, trainerOptions({ rank: 4, maxTokens: batch.tokens.length }));
      const losses: number[] = [];
      for (let step = 0; step < 2; step++) {
        await trainer.accumulate(batch);
        const m = await trainer.step({ ...ADAMW, learningRate: 3e-2 });
        expect(m.finite).toBe(true);
        losses.push(m.loss);
      }
      expect(losses[1]).toBeLessThan(losses[0]);
      trainer.dispose();
      releaseModel(ctx, up);
      acquired.device.destroy();
    },
    900_000,
  );
});
