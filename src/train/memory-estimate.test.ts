import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { IA3_DEFAULT, LORA_TARGETS } from '../model/lora-targets';
import { releaseModel, uploadModel } from '../gpu/model/upload';
import { LoraTrainer } from '../gpu/train/lora-trainer';
import { testContext } from '../gpu/testing/gpu';
import { configFromHf, type ModelConfig } from '../model/config';
import { loadModelFromPath } from '../model/load-node';
import { baseStorage, F32_BASE } from '../model/quant/storage';
import { checkMemoryFits, estimateTrainingMemory, type MemoryEstimateInput, trainableParameterCount } from './memory-estimate';

const SMOL = configFromHf(JSON.parse(await readFile('../shared/models/SmolLM2-135M-Instruct-tokenizer/config.json', 'utf8')));

function input(config: ModelConfig, over: Partial<MemoryEstimateInput> = {}): MemoryEstimateInput {
  return { config, storage: F32_BASE, rank: 8, targets: LORA_TARGETS, maxTokens: 256, checkpointing: false, dropout: false, ...over };
}

describe('estimateTrainingMemory', () => {
  it('counts SmolLM2-135M weights as the parameter count in f32 and about a quarter of it in NF4', () => {
    const f32 = estimateTrainingMemory(input(SMOL));
    // 134.5M parameters (tied head), f32.
    expect(f32.weightBytes / 4 / 1e6).toBeCloseTo(134.5, 0);
    const nf4 = estimateTrainingMemory(input(SMOL, { storage: { ...F32_BASE, linears: 'nf4' } }));
    // Linear layers at 0.5625 bytes/weight, the 28.3M-parameter embedding stays f32.
    const linears = 30 * (576 * 576 * 2 + 576 * 192 * 2 + 576 * 1536 * 3);
    expect(nf4.weightBytes).toBeGreaterThan(linears * 0.5625 + 49152 * 576 * 4);
    expect(nf4.weightBytes).toBeLessThan(linears * 0.5625 * 1.01 + 49152 * 576 * 4 + 1e6);
  });

  it('counts the adapters as params, grads and two moments of r·(in + out) per target and layer', () => {
    const e = estimateTrainingMemory(input(SMOL, { targets: ['q', 'v'] }));
    const floats = 30 * 8 * (576 + 576 + 576 + 192);
    expect(e.adapterBytes).toBeGreaterThanOrEqual(4 * 4 * floats);
    expect(e.adapterBytes).toBeLessThan(4 * 4 * floats * 1.01 + 4 * 256);
  });

  it('activations grow with tokens, and checkpointing keeps one layer slot instead of all', () => {
    const a = estimateTrainingMemory(input(SMOL, { maxTokens: 256 }));
    const b = estimateTrainingMemory(input(SMOL, { maxTokens: 512 }));
    expect(b.activationBytes / a.activationBytes).toBeCloseTo(2, 1);
    const c = estimateTrainingMemory(input(SMOL, { checkpointing: true }));
    expect(c.activationBytes).toBeLessThan(a.activationBytes / 5);
    expect(c.weightBytes).toBe(a.weightBytes);
  });

  it('refuses a buffer beyond maxBufferSize and a total beyond the budget, saying which and by how much', () => {
    const v = checkMemoryFits(input(SMOL, { maxTokens: 2048 }), {
      maxBufferSize: 64 * 2 ** 20,
      maxStorageBufferBindingSize: 64 * 2 ** 20,
      budgetBytes: 600 * 2 ** 20,
    });
    expect(v.fits).toBe(false);
    expect(v.problems[0]).toMatch(/buffer 'token_embd' needs 108\.0 MiB, more than this adapter's maxBufferSize 64\.0 MiB/);
    expect(v.problems.at(-1)).toMatch(/the run needs about [\d.]+ GiB, more than the 600\.0 MiB available/);
    const ok = checkMemoryFits(input(SMOL), { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 });
    expect(ok).toMatchObject({ fits: true, problems: [] });
  });
});

describe('estimate vs the engine allocator (stories260K)', () => {
  it('is within 15% of the bytes the trainer really allocates, f32 and NF4, with and without checkpointing', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/hf');
    for (const quant of ['none', 'nf4'] as const) {
      for (const checkpointing of [false, true]) {
        ctx.arena.trim();
        const before = ctx.memory.reservedBytes;
        ctx.arena.resetPeak();
        const up = await uploadModel(ctx, loaded.weights, { quantize: quant });
        const lora = { rank: 4, alpha: 8, rsLora: false, targets: [...LORA_TARGETS] };
        const trainer = new LoraTrainer(ctx, up, { lora, dropout: 0.1, maxTokens: 96, checkpointing, seed: 1 });
        const measured = ctx.memory.peakBytes - before;
        trainer.dispose();
        releaseModel(ctx, up);
        const e = estimateTrainingMemory({
          config: up.config,
          storage: baseStorage(loaded.weights, quant),
          rank: 4,
          targets: LORA_TARGETS,
          maxTokens: 96,
          checkpointing,
          dropout: true,
          maxBindingBytes: ctx.maxBindingBytes,
        });
        // The estimate includes uniform slabs a step allocates; construction alone is a little below it.
        expect(e.totalBytes / measured, `${quant} checkpointing=${checkpointing}`).toBeGreaterThan(0.95);
        expect(e.totalBytes / measured, `${quant} checkpointing=${checkpointing}`).toBeLessThan(1.15);
      }
    }
  });

  it('counts the trainable parameters of each method as PEFT would (stories260K and SmolLM2-135M)', async () => {
    const stories = (await loadModelFromPath('../shared/models/stories260K/hf')).config;
    const lora = { method: 'lora' as const, rank: 8, targets: [...LORA_TARGETS], virtualTokens: 20 };
    const ia3 = { ...lora, method: 'ia3' as const };
    const prompt = { ...lora, method: 'prompt' as const };
    // Prompt tuning: P virtual tokens of the hidden size (64 in stories260K, 576 in SmolLM2), nothing per layer.
    expect(trainableParameterCount(prompt, stories)).toBe(20 * 64);
    expect(trainableParameterCount(prompt, SMOL)).toBe(20 * 576);
    const dora = { ...lora, method: 'dora' as const };
    expect(trainableParameterCount(lora, stories)).toBe(46_240);
    // DoRA: LoRA's pairs and one magnitude per output row of every adapted projection (600 per stories260K layer).
    expect(trainableParameterCount(dora, stories)).toBe(46_240 + 5 * 600);
    expect(trainableParameterCount(dora, SMOL)).toBe(2_442_240 + 30 * 5_184);
    expect(trainableParameterCount(ia3, stories)).toBe(1_180);
    expect(trainableParameterCount(lora, SMOL)).toBe(2_442_240);
    expect(trainableParameterCount(ia3, SMOL)).toBe(57_600);
    expect(trainableParameterCount({ ...lora, rank: 4, targets: ['q', 'v'] }, SMOL)).toBe(30 * 4 * (576 + 576 + 576 + 192));
  });

  it('for prompt tuning, counts its embeddings and no projection buffers, within 15% of what the trainer allocates', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/hf');
    ctx.arena.trim();
    const before = ctx.memory.reservedBytes;
    ctx.arena.resetPeak();
    const up = await uploadModel(ctx, loaded.weights);
    const lora = { rank: 8, alpha: 16, rsLora: false, targets: [...LORA_TARGETS] };
    const prompt = { virtualTokens: 20, init: new Uint32Array(20).fill(1) };
    const trainer = new LoraTrainer(ctx, up, { lora, prompt, dropout: 0, maxTokens: 96, checkpointing: false, seed: 1 });
    const measured = ctx.memory.peakBytes - before;
    const adapterBytes = trainer.memory().adapterBytes;
    trainer.dispose();
    releaseModel(ctx, up);
    const e = estimateTrainingMemory({ ...input(loaded.config, { maxTokens: 96, method: 'prompt', virtualTokens: 20 }), maxBindingBytes: ctx.maxBindingBytes });
    expect(e.totalBytes / measured).toBeGreaterThan(0.95);
    expect(e.totalBytes / measured).toBeLessThan(1.15);
    // [20, 64] = 1,280 floats (a multiple of 64) × params, grads, m, v.
    expect(e.adapterBytes).toBe(adapterBytes);
    expect(e.adapterBytes).toBe(1280 * 4 * 4);
  });

  it('for IA³, counts its vectors and what its projections keep, within 15% of what the trainer allocates', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/hf');
    const estimate = (method: 'lora' | 'ia3') =>
      estimateTrainingMemory({ ...input(loaded.config, { maxTokens: 96, method }), maxBindingBytes: ctx.maxBindingBytes });
    ctx.arena.trim();
    const before = ctx.memory.reservedBytes;
    ctx.arena.resetPeak();
    const up = await uploadModel(ctx, loaded.weights);
    const lora = { rank: 8, alpha: 16, rsLora: false, targets: [...LORA_TARGETS] };
    const trainer = new LoraTrainer(ctx, up, { lora, ia3: IA3_DEFAULT, dropout: 0, maxTokens: 96, checkpointing: false, seed: 1 });
    const measured = ctx.memory.peakBytes - before;
    const adapterBytes = trainer.memory().adapterBytes;
    trainer.dispose();
    releaseModel(ctx, up);
    const e = estimate('ia3');
    expect(e.totalBytes / measured).toBeGreaterThan(0.95);
    expect(e.totalBytes / measured).toBeLessThan(1.15);
    // k and v (32 values each) and down's input (172), each padded to 64 floats, 5 layers, × params, grads, m, v.
    expect(e.adapterBytes).toBe(adapterBytes);
    expect(e.adapterBytes).toBe(5 * (64 + 64 + 192) * 4 * 4);
    expect(e.adapterBytes).toBeLessThan(estimate('lora').adapterBytes / 20);
  });

  it('for DoRA, counts the magnitudes, their scales and each projection\'s kept product, within 15% of what the trainer allocates', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/hf');
    for (const checkpointing of [false, true]) {
      const estimate = (method: 'lora' | 'dora') =>
        estimateTrainingMemory({ ...input(loaded.config, { maxTokens: 96, method, checkpointing }), maxBindingBytes: ctx.maxBindingBytes });
      ctx.arena.trim();
      const before = ctx.memory.reservedBytes;
      ctx.arena.resetPeak();
      const up = await uploadModel(ctx, loaded.weights);
      const lora = { rank: 8, alpha: 16, rsLora: false, targets: [...LORA_TARGETS], dora: true };
      const trainer = new LoraTrainer(ctx, up, { lora, dropout: 0, maxTokens: 96, checkpointing, seed: 1 });
      const measured = ctx.memory.peakBytes - before;
      const adapterBytes = trainer.memory().adapterBytes;
      trainer.dispose();
      releaseModel(ctx, up);
      const e = estimate('dora');
      expect(e.totalBytes / measured, `checkpointing=${checkpointing}`).toBeGreaterThan(0.95);
      expect(e.totalBytes / measured, `checkpointing=${checkpointing}`).toBeLessThan(1.15);
      expect(e.adapterBytes).toBe(adapterBytes);
      expect(e.totalBytes).toBeGreaterThan(estimate('lora').totalBytes);
    }
  });
});
