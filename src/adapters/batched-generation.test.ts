/**
 * Batched generation over adapter slots (Punica / S-LoRA style): the base and up to eight LoRA adapters of
 * different ranks and targets continue one prompt in one batch, and every column's greedy tokens are the same
 * adapter's own sequential greedy run, exactly, on a dense and on a quantized (NF4) base.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, generateBatch } from '../generate/generate';
import type { GpuContext } from '../gpu/context';
import { AdapterSlots } from '../gpu/lora/adapter-slots';
import { LlamaModel, MAX_BATCH_SEQUENCES } from '../gpu/model/llama';
import { releaseModel, uploadModel, type UploadedModel } from '../gpu/model/upload';
import { testContext } from '../gpu/testing/gpu';
import type { ModelConfig } from '../model/config';
import { openGgufModel } from '../model/gguf/model';
import { fileSource } from '../model/source-node';
import type { ModelWeights } from '../model/tensor-map';
import type { LoraTarget } from '../model/lora-targets';
import { GREEDY_PROMPT } from './greedy-testing';
import { adapterBatch, releaseLoraAdapter, slotAdapter, uploadLoraAdapter } from './gpu-adapter';
import { randomAdapter } from './test-adapter';
import type { LoraAdapter } from './lora-weights';

const STEPS = 10;
const tokenizer = { decode: (ids: readonly number[]) => ids.join(' '), eosIds: [] as number[] };
const greedy = { greedy: true, maxTokens: STEPS };

/** Eight adapters: ranks 1 to 16, some on every projection, some on attention or the MLP only. */
function adapters(config: ModelConfig): LoraAdapter[] {
  const ranks = [4, 1, 8, 2, 16, 4, 3, 8];
  const targets: LoraTarget[][] = [['q', 'k', 'v', 'o', 'gate', 'up', 'down'], ['q', 'v'], ['gate', 'up', 'down']];
  return ranks.map((r, i) => randomAdapter(config, { seed: 11 + i, r, alpha: 2 * r, targets: targets[i % 3], bScale: 0.4 }));
}

let ctx: GpuContext;
let weights: ModelWeights;
let all: LoraAdapter[];

beforeAll(async () => {
  ctx = await testContext();
  weights = (await openGgufModel(await fileSource('../shared/models/stories260K/stories260K.gguf'))).weights;
  all = adapters(weights.config);
});

/** Each adapter's (null: the base's) greedy tokens, one sequential run each on a single-sequence model. */
async function sequential(up: UploadedModel, list: (LoraAdapter | null)[]): Promise<number[][]> {
  const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq });
  const out: number[][] = [];
  for (const adapter of list) {
    const gpu = adapter ? uploadLoraAdapter(ctx, adapter, up.config.ropeLayout) : null;
    model.setAdapter(gpu?.inference ?? null);
    out.push((await generate(model, tokenizer, GREEDY_PROMPT, greedy)).ids);
    model.setAdapter(null);
    if (gpu) releaseLoraAdapter(ctx, gpu);
  }
  model.dispose();
  return out;
}

/** The same columns in one batch: adapters in slots, the base row (null) adds nothing. */
async function batched(up: UploadedModel, list: (LoraAdapter | null)[]): Promise<number[][]> {
  const batch = adapterBatch(ctx, up, list);
  const results = await generateBatch(batch.model, tokenizer, GREEDY_PROMPT, list.map(() => greedy));
  batch.dispose();
  return results.map((r) => r.ids);
}

describe.each([
  ['dense', 'none'],
  ['NF4', 'nf4'],
] as const)('batched multi-adapter greedy decoding on a %s stories260K', (_label, quantize) => {
  let up: UploadedModel;
  beforeAll(async () => {
    up = await uploadModel(ctx, weights, { quantize });
  });
  afterAll(() => releaseModel(ctx, up));

  it.each([
    ['the base and 8 adapters', () => [null, ...all]],
    ['1 adapter alone', () => [all[2]]],
    ['the base and 4 adapters', () => [null, ...all.slice(0, 4)]],
    ['3 adapters, the base between them', () => [all[4], null, all[1], all[6]]],
  ])('%s: every column equals its sequential run', async (_name, columns) => {
    const list = columns();
    const expected = await sequential(up, list);
    // The adapters do change the text, so equal columns are not the base's text everywhere.
    expect(new Set(expected.map((t) => t.join())).size).toBe(list.length);
    expect(await batched(up, list)).toEqual(expected);
  });
});

describe('batched generation refuses', () => {
  it('a DoRA adapter in a slot, more slots or sequences than allowed, a slot without an adapter, stale slots', async () => {
    const up = await uploadModel(ctx, weights);
    const dora = randomAdapter(weights.config, { useDora: true });
    expect(() => slotAdapter(dora, up.config.ropeLayout)).toThrow(/cannot share a batch: DoRA needs its own adapted weights/);
    expect(() => new AdapterSlots(ctx, up.weights.layers, 9)).toThrow(/9 slots asked for; 1 to 8/);
    expect(() => new LlamaModel(ctx, up.config, up.weights, { sequences: MAX_BATCH_SEQUENCES + 1 })).toThrow(/10 sequences asked for; 1 to 9/);
    const slots = new AdapterSlots(ctx, up.weights.layers);
    const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, sequences: 2 });
    expect(() => model.setSlots(slots, [null, 3])).toThrow(/slot 3 holds no adapter/);
    expect(() => model.setSlots(slots, [null])).toThrow(/1 sequences given a slot; the model decodes 2/);
    await expect(model.forward([1], 0)).rejects.toThrow(/decodes 2 sequences; use forwardBatch/);
    // An adapter of another shape is refused by name and leaves the slot as it was.
    const other = randomAdapter({ ...weights.config, hiddenSize: 32, intermediateSize: 44, numHeads: 4, numKvHeads: 2 });
    expect(() => slots.set(0, slotAdapter(other, up.config.ropeLayout))).toThrow(/layer 0 'q' of slot 0 has rank 4/);
    expect(slots.occupied).toEqual([]);
    // The model reads the slots as they are at each forward: a dropped adapter leaves its column the base, and one
    // of a higher rank than the model planned for asks for setSlots again instead of writing past its scratch.
    slots.set(0, slotAdapter(all[0], up.config.ropeLayout));
    model.setSlots(slots, [null, 0]);
    const [base, adapted] = await model.forwardBatch([GREEDY_PROMPT, GREEDY_PROMPT], 0);
    expect(adapted).not.toEqual(base);
    slots.set(0, null);
    const [base2, dropped] = await model.forwardBatch([GREEDY_PROMPT, GREEDY_PROMPT], 0);
    expect(dropped).toEqual(base2);
    slots.set(0, slotAdapter(all[4], up.config.ropeLayout)); // rank 16
    await expect(model.forwardBatch([GREEDY_PROMPT, GREEDY_PROMPT], 0)).rejects.toThrow(/rank 16 in its slots, more than the 4 the model planned for: call setSlots again/);
    slots.dispose();
    await expect(model.forwardBatch([GREEDY_PROMPT, GREEDY_PROMPT], 0)).rejects.toThrow(/AdapterSlots were disposed/);
    expect(() => model.setSlots(slots, [null, null])).toThrow(/adapter slots were disposed/);
    model.dispose();
    releaseModel(ctx, up);
  });
});
