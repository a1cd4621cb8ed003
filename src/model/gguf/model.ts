/**
 * A GGUF file opened as a model: metadata → ModelConfig, tensors matched to canonical names with the shapes the
 * config implies, and the embedded tokenizer's size checked against the embedding.
 */
import { configFromGguf, type ModelConfig } from '../config';
import { ModelFormatError } from '../errors';
import type { ByteSource } from '../source';
import { matchWeights, type ModelWeights, type WeightRef } from '../tensor-map';
import { readGguf, readTensorBytes } from './reader';
import type { GgufFile } from './types';

export interface GgufModel {
  file: GgufFile;
  config: ModelConfig;
  weights: ModelWeights;
}

export async function openGgufModel(source: ByteSource): Promise<GgufModel> {
  const file = await readGguf(source);
  const config = configFromGguf(file);
  const tokens = file.metadata.optionalStringArray('tokenizer.ggml.tokens');
  if (!tokens) throw new ModelFormatError(source.name, 'has no embedded tokenizer (tokenizer.ggml.tokens is missing)');
  // Fewer tokens than embedding rows is padding (ids past the list never occur); more would index past the table.
  if (tokens.length > config.vocabSize) {
    throw new ModelFormatError(
      source.name,
      `the tokenizer has ${tokens.length} tokens but the model's vocabulary size is ${config.vocabSize}`,
    );
  }
  const available = new Map<string, Omit<WeightRef, 'key'>>();
  for (const t of file.tensors) {
    available.set(t.name, {
      name: t.name,
      file: source.name,
      shape: t.shape,
      dtype: t.type.name,
      byteSize: t.byteSize,
      read: (range) => readTensorBytes(file, t, range),
    });
  }
  return { file, config, weights: matchWeights('gguf', config, available, source.name) };
}
