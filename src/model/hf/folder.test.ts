import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromHf, type ModelConfig } from '../config';
import { configToHfJson } from '../config-export';
import { fixtureHfFolder } from '../fixtures';
import { encodeSafetensors } from '../safetensors/writer';
import { type ByteSource, bytesSource, concatBytes } from '../source';
import { closeSources, folderSources } from '../source-node';
import { readHfFolder, topLevelFiles } from './folder';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));
const text = (s: string, name: string) => bytesSource(new TextEncoder().encode(s), name);

const SMALL: ModelConfig = configFromHf({
  architectures: ['Qwen3ForCausalLM'],
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 6,
  vocab_size: 40,
  max_position_embeddings: 64,
  tie_word_embeddings: false,
  eos_token_id: 3,
});

async function refusal(files: Map<string, ByteSource>): Promise<string> {
  return readHfFolder(files, 'dropped folder').then(
    () => 'accepted',
    (e: Error) => e.message,
  );
}

describe('stories260K/hf', () => {
  let files: Map<string, ByteSource>;
  beforeAll(async () => {
    files = await folderSources(`${MODELS}stories260K/hf`);
  });
  afterAll(() => closeSources(files.values()));

  it('reads config, all 47 tensors, the tokenizer files and generation config', async () => {
    const model = await readHfFolder(files);
    expect(model.config).toMatchObject({ architecture: 'llama', hiddenSize: 64, tiedEmbeddings: true, vocabSize: 512 });
    expect(model.tensorIndex.size).toBe(47);
    expect(model.weights.tensors.size).toBe(47);
    expect(model.weights.unused).toEqual([]);
    expect(model.weights.tensors.has('output')).toBe(false);
    const q = model.weights.tensors.get('layers.3.attn_q')!;
    expect([q.name, q.file, q.shape, q.dtype]).toEqual(['model.layers.3.self_attn.q_proj.weight', 'model.safetensors', [64, 64], 'F32']);
    expect(Object.keys(model.tokenizerFiles).sort()).toEqual([
      'generation_config.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(model.generationConfig).toEqual({ bos_token_id: 1, eos_token_id: 2 });
    expect(model.rawConfig.model_type).toBe('llama');
    expect([...model.shards.keys()]).toEqual(['model.safetensors']);
  });

  it('reads the same weights re-sharded into three files with an index', async () => {
    const single = await readHfFolder(files);
    const tensors = await Promise.all(
      [...single.tensorIndex.values()].map(async (t) => ({
        name: t.name,
        dtype: 'F32' as const,
        shape: t.shape,
        data: await t.read(),
      })),
    );
    const sharded = new Map([...files].filter(([k]) => k !== 'model.safetensors'));
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < 3; s++) {
      const name = `model-0000${s + 1}-of-00003.safetensors`;
      const part = tensors.filter((_, i) => i % 3 === s);
      part.forEach((t) => (weightMap[t.name] = name));
      sharded.set(name, bytesSource(concatBytes(encodeSafetensors(part)), name));
    }
    sharded.set('model.safetensors.index.json', text(JSON.stringify({ weight_map: weightMap }), 'model.safetensors.index.json'));
    const model = await readHfFolder(sharded);
    expect(model.shards.size).toBe(3);
    expect(model.weights.tensors.get('layers.1.ffn_up')!.file).toBe('model-00002-of-00003.safetensors');
    for (const [key, ref] of single.weights.tensors) {
      const other = model.weights.tensors.get(key)!;
      expect(Buffer.compare(await other.read(), await ref.read())).toBe(0);
    }
  });
});

describe('readHfFolder on synthetic folders', () => {
  it('sharded Qwen3 with separate lm_head; folder prefixes stripped and subfolders ignored', async () => {
    const files = fixtureHfFolder(SMALL, { shards: 4, dtype: 'BF16' });
    const prefixed = new Map([...files].map(([k, v]) => [`Qwen3-tiny/${k}`, v]));
    prefixed.set('Qwen3-tiny/onnx/config.json', text('not json', 'config.json'));
    const model = await readHfFolder(prefixed);
    expect(model.shards.size).toBe(4);
    expect(model.config).toEqual(SMALL);
    expect(model.weights.tensors.size).toBe(3 + 3 * 11);
    expect(model.weights.tensors.get('layers.2.k_norm')!.shape).toEqual([6]);
    expect(model.weights.tensors.get('output')!.name).toBe('lm_head.weight');
    expect(model.weights.tensors.get('layers.0.attn_q')!.dtype).toBe('BF16');
  });

  it('a tied model that also saved lm_head lists it as unused; generation_config eos ids are merged', async () => {
    const tied = { ...SMALL, tiedEmbeddings: true };
    const files = fixtureHfFolder({ ...SMALL }, {});
    files.set('config.json', text(JSON.stringify(configToHfJson(tied)), 'config.json'));
    files.set('generation_config.json', text('{"eos_token_id": [3, 9]}', 'generation_config.json'));
    const model = await readHfFolder(files);
    expect(model.weights.unused).toEqual(['lm_head.weight']);
    expect(model.config.eosTokenIds).toEqual([3, 9]);
  });

  it('refuses missing config, tokenizer, weights and shards, naming what is missing', async () => {
    const without = (name: string) => new Map([...fixtureHfFolder(SMALL)].filter(([k]) => k !== name));
    expect(await refusal(without('config.json'))).toBe('dropped folder: config.json is missing');
    expect(await refusal(without('tokenizer.json'))).toBe('dropped folder: tokenizer.json is missing');
    const spm = without('tokenizer.json').set('tokenizer.model', text('', 'tokenizer.model'));
    expect(await refusal(spm)).toMatch(/only tokenizer.model is present/);
    expect(await refusal(without('model.safetensors'))).toBe(
      'dropped folder: model.safetensors (or model.safetensors.index.json with its shards) is missing',
    );
    const sharded = fixtureHfFolder(SMALL, { shards: 3 });
    sharded.delete('model-00002-of-00003.safetensors');
    expect(await refusal(sharded)).toBe(
      'model.safetensors.index.json: names shard model-00002-of-00003.safetensors, which was not given',
    );
    const noIndex = fixtureHfFolder(SMALL, { shards: 2 });
    noIndex.delete('model.safetensors.index.json');
    expect(await refusal(noIndex)).toMatch(/index.json is missing \(found shards model-00001-of-00002.safetensors, model-00002/);
  });

  it('refuses an index entry whose shard lacks the tensor, and an index without weight_map', async () => {
    const files = fixtureHfFolder(SMALL, { shards: 2 });
    const indexSource = files.get('model.safetensors.index.json')!;
    const index = JSON.parse(new TextDecoder().decode(await indexSource.read(0, indexSource.size)));
    const [first, second] = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    index.weight_map['model.norm.weight'] = index.weight_map['model.norm.weight'] === first ? second : first;
    files.set('model.safetensors.index.json', text(JSON.stringify(index), 'model.safetensors.index.json'));
    expect(await refusal(files)).toBe(
      `${index.weight_map['model.norm.weight']}: tensor 'model.norm.weight' is listed in model.safetensors.index.json but not in this shard`,
    );
    files.set('model.safetensors.index.json', text('{"metadata": {}}', 'model.safetensors.index.json'));
    expect(await refusal(files)).toBe('model.safetensors.index.json: has no weight_map object');
  });

  it('refuses weights that disagree with config.json, naming the shard', async () => {
    const files = fixtureHfFolder(SMALL);
    const lie = (over: Partial<ModelConfig>) =>
      new Map(files).set('config.json', text(JSON.stringify(configToHfJson({ ...SMALL, ...over })), 'config.json'));
    expect(await refusal(lie({ intermediateSize: 20 }))).toBe(
      "model.safetensors: tensor 'model.layers.0.mlp.gate_proj.weight' has shape [24, 16] but the config implies [20, 16]",
    );
    expect(await refusal(lie({ vocabSize: 41 }))).toBe(
      "model.safetensors: vocabulary size 41 disagrees with the embedding 'model.embed_tokens.weight' of 40 rows",
    );
    expect(await refusal(lie({ numLayers: 2 }))).toMatch(/'model.layers.2.input_layernorm.weight' is not part of the model/);
    expect(await refusal(lie({ tiedEmbeddings: false, numLayers: 4 }))).toBe(
      "dropped folder: tensor 'model.layers.3.input_layernorm.weight' is missing (qwen3, 4 layers)",
    );
  });

  it('refuses a shard holding an unsupported dtype, naming the tensor', async () => {
    const files = fixtureHfFolder(SMALL);
    // The writer only writes supported dtypes, so this shard's header is written by hand.
    const header = new TextEncoder().encode(JSON.stringify({ 'model.norm.weight': { dtype: 'I32', shape: [16], data_offsets: [0, 64] } }));
    const length = new Uint8Array(8);
    new DataView(length.buffer).setUint32(0, header.byteLength, true);
    files.set('model.safetensors', bytesSource(concatBytes([length, header, new Uint8Array(64)]), 'model.safetensors'));
    expect(await refusal(files)).toBe(
      "model.safetensors: tensor 'model.norm.weight' has dtype I32, which webtune does not support (F32, F16, BF16)",
    );
  });
});

describe('topLevelFiles', () => {
  it('strips shared folders and drops nested files', () => {
    const s = text('', 'x');
    const keys = (m: Map<string, ByteSource>) => [...topLevelFiles(m).keys()].sort();
    expect(keys(new Map([['a/b/config.json', s], ['a/b/model.safetensors', s]]))).toEqual(['config.json', 'model.safetensors']);
    expect(keys(new Map([['config.json', s], ['onnx/model.onnx', s]]))).toEqual(['config.json']);
    expect(keys(new Map([['./m\\config.json', s]]))).toEqual(['config.json']);
  });
});
