/**
 * Synthetic model files built from a ModelConfig, in memory: tests (correct and deliberately broken files) and
 * benchmarks at a real model's shapes without its weights. Weights are a cheap deterministic pattern, or zeros.
 */
import type { ModelConfig } from './config';
import { configToGgufMetadata, configToHfJson } from './config-export';
import { f32ToBf16Bytes, f32ToF16Bytes } from './dtype';
import { encodeGguf, gguf, type GgufWriteTensor } from './gguf/writer';
import type { GgufEntry } from './gguf/types';
import { encodeSafetensors, type SafetensorsWriteTensor } from './safetensors/writer';
import { bytesSource, concatBytes, type ByteSource } from './source';
import { expectedTensors, fileTensorName } from './tensor-map';

export type FixtureFloat = 'F32' | 'F16' | 'BF16';

export interface FixtureOptions {
  dtype?: FixtureFloat;
  zeros?: boolean;
  seed?: number;
}

/**
 * A small Llama config for synthetic test models (2 layers, GQA 4:2, head dim 8, vocab 61): the base every
 * synthetic-model test starts from, with `over` naming only what that test is about.
 */
export function syntheticConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    architecture: 'llama',
    attentionBias: false,
    qkNorm: false,
    tiedEmbeddings: false,
    hiddenSize: 32,
    intermediateSize: 44,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    vocabSize: 61,
    contextLength: 64,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    ropeFreqsTensor: false,
    ropeLayout: 'half',
    slidingWindow: null,
    bosTokenId: 1,
    eosTokenIds: [2],
    ...over,
  };
}

/** Deterministic values in [-0.5, 0.5) from a 32-bit LCG: enough to tell tensors apart, no RNG dependency. */
export function patternValues(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

function encodeFloats(values: Float32Array, dtype: FixtureFloat): Uint8Array {
  if (dtype === 'F16') return f32ToF16Bytes(values);
  if (dtype === 'BF16') return f32ToBf16Bytes(values);
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Every tensor the config implies, named for `format`, with shapes from the config. */
export function fixtureTensors(
  config: ModelConfig,
  format: 'gguf' | 'hf',
  options: FixtureOptions = {},
): { name: string; shape: number[]; dtype: FixtureFloat; data: Uint8Array }[] {
  const dtype = options.dtype ?? 'F32';
  return expectedTensors(config).map((t, i) => {
    const count = t.shape.reduce((a, b) => a * b, 1);
    const values = options.zeros ? new Float32Array(count) : patternValues(count, (options.seed ?? 1) * 1000 + i);
    return { name: fileTensorName(format, t.role, t.layer)!, shape: t.shape, dtype, data: encodeFloats(values, dtype) };
  });
}

/** A GGUF model with an embedded llama-style vocabulary of `config.vocabSize` tokens. */
export function fixtureGguf(
  config: ModelConfig,
  options: FixtureOptions & { extraMetadata?: [string, GgufEntry][]; tokens?: number } = {},
): Uint8Array {
  const tokens = Array.from({ length: options.tokens ?? config.vocabSize }, (_, i) => `<tok${i}>`);
  const tensors: GgufWriteTensor[] = fixtureTensors(config, 'gguf', options).map((t) => ({
    name: t.name,
    shape: t.shape,
    type: t.dtype,
    data: t.data,
  }));
  const metadata: [string, GgufEntry][] = [
    ...configToGgufMetadata(config),
    ['tokenizer.ggml.model', gguf.string('llama')],
    ['tokenizer.ggml.tokens', gguf.strings(tokens)],
    ...(options.extraMetadata ?? []),
  ];
  return concatBytes(encodeGguf({ metadata, tensors }));
}

/** A minimal tokenizer.json: enough for the folder reader, which only checks that it is present. */
const TOKENIZER_JSON = JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: {}, merges: [] } });

/**
 * An HF folder as name → ByteSource: config.json, tokenizer.json and the weights, in one file or split into
 * `shards` files with an index.
 */
export function fixtureHfFolder(
  config: ModelConfig,
  options: FixtureOptions & { shards?: number } = {},
): Map<string, ByteSource> {
  const text = (s: string) => new TextEncoder().encode(s);
  const files = new Map<string, ByteSource>();
  files.set('config.json', bytesSource(text(JSON.stringify(configToHfJson(config))), 'config.json'));
  files.set('tokenizer.json', bytesSource(text(TOKENIZER_JSON), 'tokenizer.json'));
  const tensors: SafetensorsWriteTensor[] = fixtureTensors(config, 'hf', options);
  const n = options.shards ?? 1;
  if (n === 1) {
    files.set('model.safetensors', bytesSource(concatBytes(encodeSafetensors(tensors)), 'model.safetensors'));
    return files;
  }
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < n; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
    const part = tensors.filter((_, i) => i % n === s);
    for (const t of part) weightMap[t.name] = name;
    files.set(name, bytesSource(concatBytes(encodeSafetensors(part)), name));
  }
  const index = JSON.stringify({ metadata: {}, weight_map: weightMap });
  files.set('model.safetensors.index.json', bytesSource(text(index), 'model.safetensors.index.json'));
  return files;
}
