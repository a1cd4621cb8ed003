/**
 * The learning check on the sample dataset (public/datasets/moon-stories.jsonl) with stories260K, through the same
 * session `webtune train` runs: validation loss must fall by ≥ 30% from the base model's within 300 steps, and the
 * dataset's marker phrase ("the moon hummed goodnight"), which the base model never writes, must appear more often
 * in generations with the trained adapter than without it. The same for DoRA, for IA³ (its vectors on k, v and
 * down's input, far fewer parameters) and for prompt tuning (32 virtual tokens started from a text), each of which
 * must lower the validation loss by ≥ 20% (for prompt tuning the marker must become more likely rather than
 * appear in generations, see its case).
 *
 * Sizes chosen for a software adapter: one example (103–124 tokens) per step at seq-len 128, a 4-example
 * validation set, a high constant learning rate; the run stops once both goals are testable (val loss at ≤ 70%
 * of the baseline and at least MIN_STEPS steps for the style to show in free generation).
 */
import { describe, expect, it } from 'vitest';
import { uploadAnyAdapter } from '../adapters/gpu-adapter';
import { type AnyAdapter } from '../adapters/any-adapter';
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

/**
 * Count of `phrase` (by default the marker) over one greedy and three sampled continuations of the dataset-style
 * prompt, and the marker's own count.
 */
async function markerCount(
  ctx: GpuContext,
  loaded: LoadedModel,
  adapter: AnyAdapter | null,
  phrase: string = SAMPLE_DATASET.markerPhrase,
): Promise<{ count: number; marker: number; texts: string[] }> {
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
    const total = (p: string) => texts.reduce((n, t) => n + countMarker(t, p), 0);
    return { count: total(phrase), marker: total(SAMPLE_DATASET.markerPhrase), texts };
  } finally {
    releaseModel(ctx, uploaded);
  }
}

/** The base model's own count, the same for every method: made once per file rather than once per test. */
let baseCount: ReturnType<typeof markerCount> | null = null;
function baseMarkerCount(ctx: GpuContext, loaded: LoadedModel): ReturnType<typeof markerCount> {
  baseCount ??= markerCount(ctx, loaded, null);
  return baseCount;
}

/**
 * −log p of the marker sentence, teacher-forced after the dataset-style prompt and a story in the dataset's words
 * (not one of its rows), with the adapter or without.
 */
async function markerNll(ctx: GpuContext, loaded: LoadedModel, adapter: AnyAdapter | null): Promise<number> {
  const uploaded = await uploadModel(ctx, loaded.weights);
  try {
    const model = new LlamaModel(ctx, uploaded.config, uploaded.weights, { invFreq: uploaded.invFreq, maxContext: 200 });
    if (adapter) model.setAdapter(uploadAnyAdapter(ctx, adapter, loaded.config).inference);
    const prompt = chatPrompt(loaded.chatTemplate, loaded.tokenizer, SAMPLE_DATASET.examplePrompt);
    const story = `${prompt}Hush, the moon is up. Lily lost her ball at the park. The puppy found it by a bench.`;
    const context = loaded.tokenizer.encode(story, { addBos: chatPromptBos(loaded.tokenizer, prompt) });
    const marker = loaded.tokenizer.encode(` ${SAMPLE_DATASET.marker}`, { addBos: false });
    let logits = await model.forward(context, 0);
    let nll = 0;
    for (let i = 0; i < marker.length; i++) {
      const max = Math.max(...logits);
      nll += max + Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0)) - logits[marker[i]];
      logits = await model.forward([marker[i]], context.length + i);
    }
    return nll;
  } finally {
    releaseModel(ctx, uploaded);
  }
}

/** Trains until validation loss is at `goal` × the base model's (and `minSteps` have passed); returns the result. */
async function trainUntil(ctx: GpuContext, loaded: LoadedModel, runConfig: TrainingConfig, goal: number, minSteps = MIN_STEPS) {
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
      if (v.step >= minSteps && v.loss <= goal * validations[0].loss) controller.abort();
    },
  });
  const baseline = validations[0];
  expect(baseline.step).toBe(0);
  const reached = validations.find((v) => v.loss <= goal * baseline.loss);
  expect(reached, `validation losses: ${validations.map((v) => `${v.step}:${v.loss.toFixed(3)}`).join(' ')}`).toBeDefined();
  expect(reached!.step).toBeLessThanOrEqual(runConfig.maxSteps!);
  expect(result.loop.steps).toBeGreaterThanOrEqual(minSteps);
  return result;
}

describe('learning check (stories260K, moon stories)', () => {
  it('validation loss falls ≥ 30% within 300 steps and the marker phrase appears in generations', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const result = await trainUntil(ctx, loaded, config, 0.7);
    const before = await baseMarkerCount(ctx, loaded);
    const after = await markerCount(ctx, loaded, result.adapter);
    expect(after.count, `after training:\n${after.texts.join('\n---\n')}`).toBeGreaterThan(before.count);
  }, 3_600_000);

  it('DoRA: validation loss falls ≥ 20% within 300 steps and the marker phrase appears in generations', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const result = await trainUntil(ctx, loaded, { ...config, method: 'dora' }, 0.8);
    expect(result.adapter?.config.useDora).toBe(true);
    const before = await baseMarkerCount(ctx, loaded);
    const after = await markerCount(ctx, loaded, result.adapter);
    expect(after.count, `after training:\n${after.texts.join('\n---\n')}`).toBeGreaterThan(before.count);
  }, 3_600_000);

  it('IA³: validation loss falls ≥ 20% within 200 steps and the marker phrase appears in generations', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const ia3Config: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, ...config, method: 'ia3', rank: DEFAULT_TRAINING_CONFIG.rank, alpha: DEFAULT_TRAINING_CONFIG.alpha, learningRate: 3e-2, maxSteps: 200 };
    const result = await trainUntil(ctx, loaded, ia3Config, 0.8);
    expect(result.adapter).toBeNull();
    const before = await baseMarkerCount(ctx, loaded);
    const after = await markerCount(ctx, loaded, result.ia3);
    expect(after.count, `after training:\n${after.texts.join('\n---\n')}`).toBeGreaterThan(before.count);
  }, 3_600_000);

  // Prompt tuning on a 260K-parameter model lowers the loss well but does not make the model write the closing
  // marker: after 300–400 steps at 16–100 virtual tokens (constant or cosine rate, text or vocabulary start) no
  // greedy or sampled generation held "the moon hummed goodnight", and the opening phrase came and went between
  // runs (Lester et al. find prompt tuning competitive with full fine-tuning only on far larger models). So the
  // check here is the marker's likelihood: teacher-forced after a dataset-style story, it must be more likely with
  // the prompt than without. The generation counts are printed beside it, not asserted.
  it('prompt tuning: validation loss falls ≥ 20% (to 60%) within 300 steps and the marker becomes more likely', async () => {
    const ctx = await testContext();
    const loaded = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const promptConfig: TrainingConfig = {
      ...config,
      method: 'prompt',
      rank: DEFAULT_TRAINING_CONFIG.rank,
      alpha: DEFAULT_TRAINING_CONFIG.alpha,
      virtualTokens: 32,
      promptInit: 'Hush, the moon is up.',
      // The virtual tokens take part of the sequence: the same text room as the other runs.
      seqLen: config.seqLen + 32,
      learningRate: 3e-2,
      maxSteps: 300,
    };
    const result = await trainUntil(ctx, loaded, promptConfig, 0.6);
    expect(result.prompt?.config).toMatchObject({ virtualTokens: 32, init: 'TEXT', tokenDim: 64 });
    const before = await markerNll(ctx, loaded, null);
    const after = await markerNll(ctx, loaded, result.prompt);
    const generated = [(await baseMarkerCount(ctx, loaded)).count, (await markerCount(ctx, loaded, result.prompt)).count];
    console.log(`prompt tuning: marker −log p ${before.toFixed(2)} → ${after.toFixed(2)} nats; in generations ${generated[0]} → ${generated[1]}`);
    expect(after).toBeLessThan(before - 1);
  }, 3_600_000);
});
