/**
 * LoRA+ (a larger learning rate for every B) and the parameter layout it needs: every A first, then every B, so
 * the Bs are one tail of the block that AdamW steps with lr·ratio in the same dispatch. Checked on a real device:
 * the ratio reaches exactly the Bs, and a checkpoint written in the layout before LoRA+ (each projection's A then
 * B) resumes into the same state.
 */
import { describe, expect, it } from 'vitest';
import { fixtureHfFolder, syntheticConfig } from '../../model/fixtures';
import { readHfFolder } from '../../model/hf/folder';
import { releaseModel, uploadModel } from '../model/upload';
import { testContext } from '../testing/gpu';
import { LoraTrainer } from './lora-trainer';
import { ADAMW, packSequences, trainerOptions } from './train-testing';
import type { AdapterMatrices, TrainerState } from './types';

const BATCH = packSequences([[1, 5, 9, 60, 33], [2, 17, 17, 40]]);
/** Every matrix of the parameter block starts at a 256-byte boundary (parameter-block.ts). */
const padded = (n: number) => Math.ceil(n / 64) * 64;

/** The block's buffer in the layout before LoRA+: each projection's A then its B, written out by hand here. */
function interleaved(copy: Float32Array, shapes: readonly AdapterMatrices[]): Float32Array {
  const aOffsets: number[] = [];
  const bOffsets: number[] = [];
  let at = 0;
  for (const m of shapes) (aOffsets.push(at), (at += padded(m.a.length)));
  for (const m of shapes) (bOffsets.push(at), (at += padded(m.b.length)));
  const out = new Float32Array(at);
  let to = 0;
  shapes.forEach((m, i) => {
    out.set(copy.subarray(aOffsets[i], aOffsets[i] + m.a.length), to);
    to += padded(m.a.length);
    out.set(copy.subarray(bOffsets[i], bOffsets[i] + m.b.length), to);
    to += padded(m.b.length);
  });
  return out;
}

describe('LoRA+', () => {
  it("steps every B with ratio × the learning rate and every A with the learning rate itself", async () => {
    const ctx = await testContext();
    const { weights } = await readHfFolder(fixtureHfFolder(syntheticConfig({ numLayers: 2 }), { seed: 4 }), 'lora+');
    const up = await uploadModel(ctx, weights);
    const afterOneStep = async (loraPlusRatio: number) => {
      const trainer = new LoraTrainer(ctx, up, trainerOptions({ rank: 4, maxTokens: 12 }));
      await trainer.accumulate(BATCH);
      // Weight decay moves every A on the first step (its gradient is 0 while B = 0): by lr·wd·A in A's group,
      // by 16 times that if the Bs' group reached into the As.
      await trainer.step({ ...ADAMW, weightDecay: 0.1, loraPlusRatio });
      const m = await trainer.adapterWeights();
      trainer.dispose();
      return m;
    };
    const plain = await afterOneStep(1);
    const plus = await afterOneStep(16);
    expect(plus.map((m) => `${m.layer}.${m.target}`)).toEqual(plain.map((m) => `${m.layer}.${m.target}`));
    plain.forEach((p, i) => {
      const where = `layer ${p.layer} ${p.target}`;
      expect(plus[i].a, where).toEqual(p.a);
      expect(p.b.some((x) => x !== 0), where).toBe(true);
      // Adam's first step is lr·g/(|g| + eps) per element: 16 times larger, element by element.
      const worst = Math.max(...p.b.map((x, j) => Math.abs(plus[i].b[j] - 16 * x) / Math.abs(16 * x || 1)));
      expect(worst, where).toBeLessThan(1e-5);
    });
    releaseModel(ctx, up);
  }, 600_000);

  it('resumes a checkpoint of the interleaved layout (before LoRA+) into the same parameters and moments', async () => {
    const ctx = await testContext();
    const { weights } = await readHfFolder(fixtureHfFolder(syntheticConfig({ numLayers: 2 }), { seed: 5 }), 'layout');
    const up = await uploadModel(ctx, weights);
    const options = trainerOptions({ rank: 3, maxTokens: 12, targets: ['q', 'v', 'down'] });
    const trained = new LoraTrainer(ctx, up, options);
    for (let s = 0; s < 3; s++) {
      await trainer(trained);
    }
    const state = await trained.exportState();
    const shapes = await trained.adapterWeights();
    trained.dispose();
    expect(state.layout).toBe('a-then-b');
    const old: TrainerState = {
      ...state,
      layout: 'interleaved',
      params: interleaved(state.params, shapes),
      m: interleaved(state.m, shapes),
      v: interleaved(state.v, shapes),
    };
    expect(old.params).not.toEqual(state.params); // the layouts differ for this model
    const resumed = new LoraTrainer(ctx, up, { ...options, seed: 99 });
    resumed.importState(old);
    const back = await resumed.exportState();
    expect(back.params).toEqual(state.params);
    expect(back.m).toEqual(state.m);
    expect(back.v).toEqual(state.v);
    expect(() => resumed.importState({ ...state, layout: 'sideways' as never })).toThrow(/unknown parameter layout 'sideways'/);
    resumed.dispose();
    releaseModel(ctx, up);

    async function trainer(t: LoraTrainer) {
      await t.accumulate(BATCH);
      await t.step({ ...ADAMW, loraPlusRatio: 4 });
    }
  }, 600_000);
});
