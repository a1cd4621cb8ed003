/**
 * The learning check on the sample dataset (public/datasets/moon-stories.jsonl) with stories260K, through the same
 * session `webtune train` runs: validation loss must fall by ≥ 30% from the base model's within 300 steps, and the
 * dataset's marker phrase ("the moon hummed goodnight"), which the base model never writes, must appear more often
 * in generations with the trained adapter than without it. The same for DoRA and for IA³ (its vectors on k, v and
 * down's input, far fewer parameters), each of which must lower the validation loss by ≥ 20%.
 *
 * Sizes chosen for a software adapter: one example (103–124 tokens) per step at seq-len 128, a 4-example
 * validation set, a high constant learning rate; the run stops once both goals are testable (val loss at ≤ 70%
 * of the baseline and at least MIN_STEPS steps for the style to show in free generation).
 */
import { describe, expect, it } from 'vitest';
import { type AnyAdapter, uploadAnyAdapter } from '../adapters/gpu-adapter';
import { openDatasetFile } from '../data/load-node';
import { DEFAULT_READ_SETTINGS } from '../data/types';
import { countMarker, SAMPLE_DATASET } from '../data/sample-dataset';
import { generate } from '../generate/generate';
import { LlamaModel } from '../gpu/model/llama';
import { releaseModel, uploadModel } from '../gpu/model/upload';
import { testContext } from '../gpu/testing/gpu';
import type { GpuContext } from '../gpu/context';
import { chatPrompt, chatPromptBos } from '../model/chat';
import type { LoadedModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from './config';
import type { ValidationRecord } from './metrics';
import { runTrainingSession } from './session';
import { MemoryStorage } from './storage';

const MIN_STEPS = 60;

const config: TrainingConfig = {
  ...DEFAULT_TRAINING_CONFIG,
  rank: 8,
  alpha: 16,
  learningRate: 3e-3,
  schedule: 'constant',
  batchSize: 1,
  seqLen: 128,
  maxSteps: 300,
  epochs: null,
  valSplit: 0.01,
  evalEvery: 10,
  saveEvery: 0,
  seed: 3,
};

/** Marker count over one greedy and three sampled continuations of the dataset-style prompt. */
async function markerCount(ctx: GpuContext, loaded: LoadedModel, adapter: AnyAdapter | null): Promise<{ count: number; texts: string[] }> {
  const uploaded = await uploadModel(ctx, loaded.weights);
  try {
    const model = new LlamaModel(ctx, uploaded.config, uploaded.weights, { invFreq: uploaded.invFreq, maxContext: 200 });
    if (adapter) model.setAdapter(uploadAnyAdapter(ctx, adapter, loaded.config).inference);
    const prompt = chatPrompt(loaded.chatTemplate, loaded.tokenizer, SAMPLE_DATASET.examplePrompt);
    const ids = loaded.tokenizer.encode(prompt, { addBos: chatPromptBos(loaded.tokenizer, prompt) });
    const texts: string[] = [];
    for (const sampling of [{ greedy: true }, { temperature: 0.7, seed: 1 }, { temperature: 0.7, seed: 2 }, { temperature: 0.7, seed: 3 }]) {
      texts.push((await generate(model, loaded.tokenizer, ids, { ...sampling, maxTokens: 80 })).text);
    }
    return { count: texts.reduce((n, t) => n + countMarker(t), 0), texts };
  } finally {
    releaseModel(ctx, uploaded);
  }
}

/** Trains until validation loss is at `goal` × the base model's (and MIN_STEPS have passed); returns the result. */
async function trainUntil(ctx: GpuContext, loaded: LoadedModel, runConfig: TrainingConfig, goal: number) {
  const dataset = { blob: await openDatasetFile(SAMPLE_DATASET.path), read: DEFAULT_READ_SETTINGS };
  const controller = new AbortController();
  const validations: ValidationRecord[] = [];
  const result = await runTrainingSession({
    ctx,
    model: loaded,
    dataset,
    datasetName: SAMPLE_DATASET.path,
    config: runConfig,
    storage: new MemoryStorage(),
    resume: false,
    signal: controller.signal,
    onValidation: (v) => {
      validations.push(v);
      if (v.step >= MIN_STEPS && v.loss <= goal * validations[0].loss) controller.abort();
    },
  });
  const baseline = validations[0];
  expect(baseline.step).toBe(0);
  const reached = validations.find((v) => v.loss <= goal * baseline.loss);
  expect(reached, `validation losses: ${validations.map((v) => `${v.step}:${v.loss.toFixed(3)}`).join(' ')}`).toBeDefined();
  expect(reached!.step).toBeLessThanOrEqual(runConfig.maxSteps!);
  expect(result.loop.steps).toBeGreaterThanOrEqual(MIN_STEPS);
  return result;
}

describe('learning check (stories260K, moon stories)', () => {
  it('validation loss falls ≥ 30% within 300 steps and the marker phrase appears in generations', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const result = await trainUntil(ctx, loaded, config, 0.7);
    const before = await markerCount(ctx, loaded, null);
    const after = await markerCount(ctx, loaded, result.adapter);
    expect(after.count, `after training:\n${after.texts.join('\n---\n')}`).toBeGreaterThan(before.count);
  }, 3_600_000);

  it('DoRA: validation loss falls ≥ 20% within 300 steps and the marker phrase appears in generations', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const result = await trainUntil(ctx, loaded, { ...config, method: 'dora' }, 0.8);
    expect(result.adapter?.config.useDora).toBe(true);
    const before = await markerCount(ctx, loaded, null);
    const after = await markerCount(ctx, loaded, result.adapter);
    expect(after.count, `after training:\n${after.texts.join('\n---\n')}`).toBeGreaterThan(before.count);
  }, 3_600_000);

  it('IA³: validation loss falls ≥ 20% within 200 steps and the marker phrase appears in generations', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const ia3Config: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, ...config, method: 'ia3', rank: DEFAULT_TRAINING_CONFIG.rank, alpha: DEFAULT_TRAINING_CONFIG.alpha, learningRate: 3e-2, maxSteps: 200 };
    const result = await trainUntil(ctx, loaded, ia3Config, 0.8);
    expect(result.adapter).toBeNull();
    const before = await markerCount(ctx, loaded, null);
    const after = await markerCount(ctx, loaded, result.ia3);
    expect(after.count, `after training:\n${after.texts.join('\n---\n')}`).toBeGreaterThan(before.count);
  }, 3_600_000);
});
