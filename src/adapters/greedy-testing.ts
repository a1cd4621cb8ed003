/**
 * Greedy decoding both ways for the adapter-file tests (test support): the engine (LlamaModel with an adapter
 * uploaded unmerged) and src/model's float64 reference forward, which knows no adapter, over weights (or a
 * vocabulary) into which a test has written the method by its published formula.
 */
import { LlamaModel } from '../gpu/model/llama';
import { releaseModel, uploadModel } from '../gpu/model/upload';
import { testContext } from '../gpu/testing/gpu';
import type { ModelConfig } from '../model/config';
import { openGgufModel } from '../model/gguf/model';
import { readHfFolder } from '../model/hf/folder';
import { readHostWeights } from '../model/host-weights';
import { closeSources, fileSource, folderSources } from '../model/source-node';
import { type HostWeights, referenceForward } from '../model/reference-forward';
import type { ModelWeights } from '../model/tensor-map';
import { releaseLoraAdapter, uploadAnyAdapter } from './gpu-adapter';
import { type AnyAdapter } from './any-adapter';

/** A base as the adapter-file tests use it: its config, weights, and float64 host copies of them. */
export interface TestBase {
  config: ModelConfig;
  weights: ModelWeights;
  host: HostWeights;
}

/** stories260K in both layouts the project has: Hugging Face (half q/k rows) and GGUF (interleaved); close after. */
export async function openStoriesBases(): Promise<{ hf: TestBase; gguf: TestBase; close: () => Promise<void> }> {
  const models = '../shared/models/stories260K';
  const folder = await folderSources(`${models}/hf`);
  const file = await fileSource(`${models}/stories260K.gguf`);
  const base = async (w: ModelWeights): Promise<TestBase> => ({ config: w.config, weights: w, host: await readHostWeights(w.config, w) });
  return {
    hf: await base((await readHfFolder(folder, 'hf')).weights),
    gguf: await base((await openGgufModel(file)).weights),
    close: () => closeSources([file, ...folder.values()]),
  };
}

/** stories260K tokens: BOS and four of a story. */
export const GREEDY_PROMPT = [1, 403, 407, 261, 378];
export const GREEDY_STEPS = 12;

/**
 * The reference's greedy continuation of `prefix + prompt`, returning only the new tokens. `prefix` tokens (a
 * vocabulary extended by a test) come first; the argmax is over the model's own `vocab` ids.
 */
export function greedyReference(config: ModelConfig, host: HostWeights, options: { prefix?: readonly number[]; vocab?: number } = {}): number[] {
  const prefix = options.prefix ?? [];
  const vocab = options.vocab ?? config.vocabSize;
  const tokens = [...prefix, ...GREEDY_PROMPT];
  for (let i = 0; i < GREEDY_STEPS; i++) {
    const logits = referenceForward(config, host, tokens);
    const last = logits.subarray((tokens.length - 1) * config.vocabSize, (tokens.length - 1) * config.vocabSize + vocab);
    tokens.push(last.indexOf(Math.max(...last)));
  }
  return tokens.slice(prefix.length + GREEDY_PROMPT.length);
}

/**
 * The engine's greedy tokens with `adapter` applied unmerged (null: the base alone), and the prompt's logits.
 * `prompt` and `steps` default to GREEDY_PROMPT and GREEDY_STEPS.
 */
export async function greedyEngine(
  b: { config: ModelConfig; weights: ModelWeights },
  adapter: AnyAdapter | null,
  options: { prompt?: readonly number[]; steps?: number } = {},
): Promise<{ tokens: number[]; logits: Float32Array }> {
  const prompt = options.prompt ?? GREEDY_PROMPT;
  const steps = options.steps ?? GREEDY_STEPS;
  const ctx = await testContext();
  const up = await uploadModel(ctx, b.weights);
  const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxContext: b.config.contextLength });
  const gpu = adapter ? uploadAnyAdapter(ctx, adapter, b.config) : null;
  if (gpu) model.setAdapter(gpu.inference);
  let logits = await model.forward([...prompt], 0);
  const first = logits.slice();
  const tokens: number[] = [];
  for (let i = 0; i < steps; i++) {
    tokens.push(logits.indexOf(Math.max(...logits)));
    if (i + 1 < steps) logits = await model.forward([tokens[i]], prompt.length + i);
  }
  model.dispose();
  if (gpu) releaseLoraAdapter(ctx, gpu);
  releaseModel(ctx, up);
  return { tokens, logits: first };
}
