/**
 * A Hugging Face model folder (config.json, safetensors weights single or sharded, tokenizer files), given as
 * file name → ByteSource so the browser can pass a dropped directory and Node a path (`folderSources`).
 * Everything is checked on load: config → ModelConfig, every tensor the config implies present with its shape,
 * shards named by the index all given, the tokenizer present.
 */
import { configFromHf, type ModelConfig } from '../config';
import { ModelFormatError } from '../errors';
import { readSafetensors, readSafetensorsTensorBytes } from '../safetensors/reader';
import type { SafetensorsFile } from '../safetensors/types';
import { type ByteSource, readJson } from '../source';
import { matchWeights, type ModelWeights, type WeightRef } from '../tensor-map';

export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'generation_config.json',
  'special_tokens_map.json',
] as const;
export type TokenizerFileName = (typeof TOKENIZER_FILES)[number];

export interface HfModel {
  config: ModelConfig;
  rawConfig: Record<string, unknown>;
  weights: ModelWeights;
  /** Every tensor across the shards by its HF name, used by the model or not. */
  tensorIndex: ReadonlyMap<string, Omit<WeightRef, 'key'>>;
  /** Parsed safetensors headers by file name (one entry, or one per shard). */
  shards: Map<string, SafetensorsFile>;
  /** The tokenizer files present; tokenizer.json always is. */
  tokenizerFiles: Partial<Record<TokenizerFileName, ByteSource>> & { 'tokenizer.json': ByteSource };
  generationConfig: Record<string, unknown> | null;
}

const SINGLE = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';

export async function readHfFolder(files: ReadonlyMap<string, ByteSource>, label = 'model folder'): Promise<HfModel> {
  const top = topLevelFiles(files);
  const fail = (problem: string): never => {
    throw new ModelFormatError(label, problem);
  };
  const configSource = top.get('config.json') ?? fail('config.json is missing');
  const rawConfig = (await readJson(configSource)) as Record<string, unknown>;
  const config = configFromHf(rawConfig, configSource.name);

  const tokenizerJson =
    top.get('tokenizer.json') ??
    fail(
      top.has('tokenizer.model')
        ? 'tokenizer.json is missing (only tokenizer.model is present; webtune needs the Hugging Face tokenizer.json)'
        : 'tokenizer.json is missing',
    );
  const tokenizerFiles: HfModel['tokenizerFiles'] = { 'tokenizer.json': tokenizerJson };
  for (const name of TOKENIZER_FILES) {
    const f = top.get(name);
    if (f) tokenizerFiles[name] = f;
  }

  let generationConfig: Record<string, unknown> | null = null;
  const gen = top.get('generation_config.json');
  if (gen) {
    generationConfig = (await readJson(gen)) as Record<string, unknown>;
    mergeGenerationIds(config, generationConfig);
  }

  const shards = await readShards(top, fail);
  const available = new Map<string, Omit<WeightRef, 'key'>>();
  for (const [name, { shard, file }] of shards.byTensor) {
    const info = shard.tensorByName.get(name)!;
    available.set(name, {
      name,
      file,
      shape: info.shape,
      dtype: info.dtype,
      byteSize: info.byteSize,
      read: (range) => readSafetensorsTensorBytes(shard, info, range),
    });
  }
  const weights = matchWeights('hf', config, available, label);
  return { config, rawConfig, weights, tensorIndex: available, shards: shards.files, tokenizerFiles, generationConfig };
}

/** generation_config.json is what `generate()` stops on; its eos ids join the config's. */
function mergeGenerationIds(config: ModelConfig, gen: Record<string, unknown>): void {
  const eos = gen.eos_token_id;
  const ids = Array.isArray(eos) ? eos.map(Number) : typeof eos === 'number' ? [eos] : [];
  config.eosTokenIds = [...new Set([...config.eosTokenIds, ...ids.filter(Number.isSafeInteger)])];
  if (config.bosTokenId === null && typeof gen.bos_token_id === 'number') config.bosTokenId = gen.bos_token_id;
}

async function readShards(
  top: Map<string, ByteSource>,
  fail: (problem: string) => never,
): Promise<{ files: Map<string, SafetensorsFile>; byTensor: Map<string, { shard: SafetensorsFile; file: string }> }> {
  const files = new Map<string, SafetensorsFile>();
  const byTensor = new Map<string, { shard: SafetensorsFile; file: string }>();
  const index = top.get(INDEX);
  if (!index) {
    const single = top.get(SINGLE);
    if (!single) {
      const shardLike = [...top.keys()].filter((n) => /^model-\d+-of-\d+\.safetensors$/.test(n));
      if (shardLike.length) fail(`${INDEX} is missing (found shards ${shardLike.join(', ')})`);
      if (top.has('pytorch_model.bin')) fail(`${SINGLE} is missing (PyTorch .bin weights are not supported)`);
      fail(`${SINGLE} (or ${INDEX} with its shards) is missing`);
    }
    const shard = await readSafetensors(single!);
    files.set(SINGLE, shard);
    for (const t of shard.tensors) byTensor.set(t.name, { shard, file: SINGLE });
    return { files, byTensor };
  }

  const json = (await readJson(index)) as { weight_map?: unknown } | null;
  const weightMap = json?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new ModelFormatError(INDEX, 'has no weight_map object');
  }
  const entries = Object.entries(weightMap as Record<string, unknown>);
  for (const [tensor, file] of entries) {
    if (typeof file !== 'string') throw new ModelFormatError(INDEX, `weight_map entry '${tensor}' is not a file name`);
  }
  const shardNames = [...new Set(entries.map(([, f]) => f as string))];
  const missing = shardNames.filter((f) => !top.has(f));
  if (missing.length) throw new ModelFormatError(INDEX, `names shard ${missing.join(', ')}, which was not given`);
  for (const name of shardNames) files.set(name, await readSafetensors(top.get(name)!));
  for (const [tensor, file] of entries as [string, string][]) {
    const shard = files.get(file)!;
    if (!shard.tensorByName.has(tensor)) {
      throw new ModelFormatError(file, `tensor '${tensor}' is listed in ${INDEX} but not in this shard`);
    }
    byTensor.set(tensor, { shard, file });
  }
  return { files, byTensor };
}

/**
 * Keys as the caller gave them may carry a folder prefix (a dropped directory's `webkitRelativePath`): a directory
 * shared by every key is stripped, and files in subfolders (onnx/, original/) are ignored.
 */
export function topLevelFiles(files: ReadonlyMap<string, ByteSource>): Map<string, ByteSource> {
  let entries = [...files].map(([k, v]) => [k.replace(/\\/g, '/').replace(/^\.?\//, ''), v] as [string, ByteSource]);
  for (;;) {
    const first = entries[0]?.[0].split('/')[0];
    if (!first || !entries.every(([k]) => k.startsWith(`${first}/`))) break;
    entries = entries.map(([k, v]) => [k.slice(first.length + 1), v]);
  }
  return new Map(entries.filter(([k]) => !k.includes('/')));
}
