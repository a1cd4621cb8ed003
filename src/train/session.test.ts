/**
 * The whole training path on stories260K (the same calls `webtune train` makes): resume equivalence — a run paused
 * after 3 steps and resumed from its checkpoint gives the losses and adapter of the straight 6-step run — with
 * dropout on (so the trainer's RNG state must round-trip too), gradient accumulation, and a file streamed in
 * shuffle windows of 3 rows (so the data position inside the stream must round-trip).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_READ_SETTINGS } from '../data/types';
import { testContext } from '../gpu/testing/gpu';
import { loadModelFromPath } from '../model/load-node';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from './config';
import { baseStorage } from '../model/quant/storage';
import { planMemory, type PlanSettings } from './memory-plan';
import { runTrainingSession } from './session';
import { MemoryStorage } from './storage';

const NAMES = ['Lily', 'Tom', 'Sue', 'Max', 'Ben', 'Mia', 'Sam', 'Zoe'];
const TEXT = NAMES.map((n) => JSON.stringify({ prompt: `A cat for ${n}.`, completion: `${n} saw a cat. The cat was happy.` })).join('\n');

const config: TrainingConfig = {
  ...DEFAULT_TRAINING_CONFIG,
  rank: 4,
  alpha: 8,
  dropout: 0.1,
  learningRate: 5e-3,
  schedule: 'cosine',
  warmupSteps: 1,
  batchSize: 2,
  gradAccum: 2,
  seqLen: 64,
  maxSteps: 6,
  epochs: null,
  valSplit: 0.25,
  evalEvery: 3,
  saveEvery: 3,
  seed: 11,
  // 8 rows in windows of 3: the file streams, and step 3 stops inside the second window.
  shuffleWindow: 3,
};

describe('training session on stories260K', () => {
  it('3 steps + resume + 3 steps gives the losses and adapter of 6 straight steps', async () => {
    const ctx = await testContext();
    const model = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const dataset = { blob: new Blob([TEXT]), read: DEFAULT_READ_SETTINGS };
    const common = { ctx, model, dataset, datasetName: 'cats.jsonl', config };

    const straight = await runTrainingSession({ ...common, storage: new MemoryStorage(), resume: false });
    expect(straight.loop.steps).toBe(6);
    expect(straight.data.streamed).toBe(true);

    const storage = new MemoryStorage();
    const first = await runTrainingSession({ ...common, storage, resume: false, untilStep: 3 });
    expect(first.loop.stopReason).toBe('paused');
    expect(first.loop.steps).toBe(3);
    await expect(runTrainingSession({ ...common, storage, resume: false })).rejects.toThrow(
      'memory already holds a checkpoint of an earlier run; pass --resume to continue it, or choose another --out',
    );
    const resumed = await runTrainingSession({ ...common, storage, resume: true });
    expect(resumed.loop.steps).toBe(6);

    const a = straight.loop.history.steps.map((s) => s.loss);
    const b = resumed.loop.history.steps.map((s) => s.loss);
    expect(b.length).toBe(6);
    for (let i = 0; i < 6; i++) expect(Math.abs(a[i] - b[i]) / a[i], `step ${i + 1}`).toBeLessThan(1e-5);
    expect(resumed.finalValLoss).toBeCloseTo(straight.finalValLoss!, 5);
    const pa = straight.adapter!.layers[2].q!.b;
    const pb = resumed.adapter!.layers[2].q!.b;
    let maxDiff = 0;
    for (let i = 0; i < pa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i] - pb[i]));
    expect(maxDiff).toBeLessThan(1e-6);
    expect(pa.some((x) => x !== 0)).toBe(true); // B moved away from its zero init: the adapter trained

    // The loss fell and the engine's peak stayed within 15% of the estimate.
    expect(a[5]).toBeLessThan(a[0]);
    expect(straight.estimate.totalBytes / straight.peakBytes).toBeGreaterThan(0.85);
    expect(straight.estimate.totalBytes / straight.peakBytes).toBeLessThan(1.15);
  }, 900_000);

  it('prompt tuning: 3 steps + resume + 3 steps gives the losses and prompt of 6 straight steps', async () => {
    const ctx = await testContext();
    const model = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const dataset = { blob: new Blob([TEXT]), read: DEFAULT_READ_SETTINGS };
    const prompt: TrainingConfig = {
      ...config,
      method: 'prompt',
      rank: DEFAULT_TRAINING_CONFIG.rank,
      alpha: DEFAULT_TRAINING_CONFIG.alpha,
      dropout: 0,
      virtualTokens: 8,
      promptInit: '',
      seqLen: 72,
      learningRate: 3e-2,
    };
    const common = { ctx, model, dataset, datasetName: 'cats.jsonl', config: prompt };
    const straight = await runTrainingSession({ ...common, storage: new MemoryStorage(), resume: false });
    const storage = new MemoryStorage();
    await runTrainingSession({ ...common, storage, resume: false, untilStep: 3 });
    const resumed = await runTrainingSession({ ...common, storage, resume: true });
    const a = straight.loop.history.steps.map((s) => s.loss);
    const b = resumed.loop.history.steps.map((s) => s.loss);
    expect(b.length).toBe(6);
    for (let i = 0; i < 6; i++) expect(Math.abs(a[i] - b[i]) / a[i], `step ${i + 1}`).toBeLessThan(1e-5);
    expect(straight.adapter).toBeNull();
    // Started from 8 tokens drawn from the vocabulary with the run's seed, the same both times.
    expect(straight.prompt!.config).toMatchObject({ virtualTokens: 8, init: 'SAMPLE_VOCAB', initText: null });
    const pa = straight.prompt!.embeddings;
    const pb = resumed.prompt!.embeddings;
    expect(Math.max(...pa.map((x, i) => Math.abs(x - pb[i])))).toBeLessThan(1e-6);
    expect(a[5]).toBeLessThan(a[0]);
  }, 900_000);

  it('a budget the settings exceed: the run trains with the memory plan, as if it had been set by hand, and resumes with it', async () => {
    const ctx = await testContext();
    const model = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const dataset = { blob: new Blob([TEXT]), read: DEFAULT_READ_SETTINGS };
    const asked = { ...config, dropout: 0, maxSteps: 2, saveEvery: 1, evalEvery: 0, batchSize: 2, gradAccum: 2, checkpointing: false };
    const bytes = (fixed: PlanSettings) =>
      planMemory({ model: model.config, stored: baseStorage(model.weights), config: asked, limits: ctx.device.limits, fixed }).estimate.totalBytes;
    // Between micro-batch 1 and 2 with checkpointing: only micro-batch 1 × accumulation 4 fits.
    const small = bytes({ batchSize: 1, gradAccum: 4, checkpointing: true });
    const budgetBytes = Math.floor((small + bytes({ batchSize: 2, gradAccum: 2, checkpointing: true })) / 2);
    const notices: string[] = [];
    const common = { ctx, model, dataset, datasetName: 'cats.jsonl', budgetBytes, onNotice: (n: { kind: string }) => notices.push(n.kind) };

    const planned = await runTrainingSession({ ...common, config: asked, storage: new MemoryStorage(), resume: false });
    expect(planned.plan).toMatchObject({ fits: true, changed: true, settings: { batchSize: 1, gradAccum: 4, checkpointing: true } });
    expect(planned.estimate.totalBytes).toBe(small);
    expect(planned.estimate.totalBytes).toBeLessThanOrEqual(budgetBytes);
    expect(notices).toContain('memory-plan');

    const byHand = await runTrainingSession({
      ...common,
      budgetBytes: undefined,
      config: { ...asked, batchSize: 1, gradAccum: 4, checkpointing: true },
      storage: new MemoryStorage(),
      resume: false,
    });
    expect(byHand.plan.changed).toBe(false);
    const losses = (r: typeof planned) => r.loop.history.steps.map((s) => s.loss);
    expect(losses(planned)).toEqual(losses(byHand));

    // Paused after step 1 and resumed with the settings as asked: the saved plan is kept (its data position counts
    // micro-batches of 1), and the run ends where the straight one did.
    const storage = new MemoryStorage();
    await runTrainingSession({ ...common, config: asked, storage, resume: false, untilStep: 1 });
    const resumed = await runTrainingSession({ ...common, budgetBytes: undefined, config: asked, storage, resume: true });
    expect(resumed.plan.settings).toEqual({ batchSize: 1, gradAccum: 4, checkpointing: true });
    expect(losses(resumed)).toEqual(losses(planned));
  }, 900_000);
});
