/**
 * The model and adapter readers as the studio runs them on a dropped file: a GGUF model (header, config, tokenizer,
 * chat template, every tensor decoded), a safetensors checkpoint in a Hugging Face folder and that folder's JSON
 * files, a llama.cpp GGUF LoRA and a PEFT .zip imported against a loaded base. Seeds are the bundled stories260K files and synthetic models and
 * adapters our writers make.
 */
import { readFile } from 'node:fs/promises';
import { exportGgufLora } from '../../adapters/gguf-lora';
import { AdapterMismatchError } from '../../adapters/fit';
import { ia3AdapterFromTrainer, promptAdapterFromTrainer } from '../../adapters/from-trainer';
import { exportPeft } from '../../adapters/peft';
import { exportPeftIa3 } from '../../adapters/peft-ia3';
import { exportPeftPrompt } from '../../adapters/peft-prompt';
import { importGgufLora } from '../../adapters/gguf-lora';
import { randomAdapter } from '../../adapters/test-adapter';
import { AdapterUploadError, readUploadedAdapter } from '../../library/adapter-upload';
import { zipFiles } from '../../library/zip';
import { chatPrompt, ChatTemplateError } from '../../model/chat';
import type { ModelConfig } from '../../model/config';
import { ModelFormatError } from '../../model/errors';
import { fixtureGguf, fixtureTensors, patternValues, syntheticConfig } from '../../model/fixtures';
import { readHostTensor } from '../../model/host-weights';
import { type LoadedModel, loadGgufModel, loadHfModel } from '../../model/load';
import { IA3_DEFAULT, type LoraTarget } from '../../model/lora-targets';
import { GgufValueType } from '../../model/gguf/types';
import { gguf } from '../../model/gguf/writer';
import { encodeSafetensors } from '../../model/safetensors/writer';
import { bytesSource, concatBytes } from '../../model/source';
import { TokenizerError } from '../../model/tokenizer';
import { generateGguf, generateJsonValue, generateSafetensors, generateZip } from '../generate';
import { ggufLayout, safetensorsLayout, TEXT_LAYOUT, zipLayout } from '../fields';
import { type FuzzSeed, type FuzzTarget, typedBy } from './target';

const STORIES = new URL('../../../public/models/stories260K/', import.meta.url);
const HF_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json'];

const read = new Map<string, Promise<Uint8Array>>();

/** A bundled stories260K file, read from disk once per process; each case gets its own copy. */
async function storiesFile(name: string): Promise<Uint8Array> {
  if (!read.has(name)) read.set(name, readFile(new URL(name, STORIES)).then((b) => new Uint8Array(b)));
  return (await read.get(name)!).slice();
}

/** What the studio does with a model once loaded: every tensor decoded, a prompt rendered and tokenized both ways. */
async function useModel(model: LoadedModel): Promise<void> {
  for (const ref of model.weights.tensors.values()) await readHostTensor(ref);
  const prompt = chatPrompt(model.chatTemplate, model.tokenizer, 'Tell a moon story.');
  model.tokenizer.decode(model.tokenizer.encode(prompt, { addBos: true }));
}

const modelTyped = typedBy(ModelFormatError, TokenizerError, ChatTemplateError);

export const ggufModelTarget: FuzzTarget = {
  name: 'gguf-model',
  async seeds() {
    const stories = await storiesFile('stories260K.gguf');
    const config = syntheticConfig();
    // A llama tokenizer needs scores; the fixture's test files leave them out.
    const scores = gguf.array(GgufValueType.Float32, new Float32Array(config.vocabSize).map((_, i) => -i));
    const synthetic = fixtureGguf(config, { dtype: 'F16', extraMetadata: [['tokenizer.ggml.scores', scores]] });
    return [
      { name: 'stories260K.gguf', bytes: stories, layout: ggufLayout(stories) },
      { name: 'synthetic-f16.gguf', bytes: synthetic, layout: ggufLayout(synthetic) },
    ];
  },
  generate: generateGguf,
  async read(bytes) {
    await useModel(await loadGgufModel(bytesSource(bytes, 'fuzz.gguf')));
  },
  typed: modelTyped,
};

/** stories260K's Hugging Face folder with `bytes` as its file `name` (model.safetensors by default). */
async function hfFolder(bytes: Uint8Array, name = 'model.safetensors') {
  const files = new Map(
    await Promise.all([...HF_FILES, 'model.safetensors'].map(async (file) => [file, bytesSource(await storiesFile(`hf/${file}`), file)] as const)),
  );
  files.set(name, bytesSource(bytes, name));
  return files;
}

export const safetensorsTarget: FuzzTarget = {
  name: 'safetensors',
  async seeds() {
    const f32 = await storiesFile('hf/model.safetensors');
    const config = (await loadHfModel(await hfFolder(f32), 'stories260K')).config;
    const bf16 = concatBytes(encodeSafetensors(fixtureTensors(config, 'hf', { dtype: 'BF16' })));
    return [
      { name: 'stories260K model.safetensors', bytes: f32, layout: safetensorsLayout(f32) },
      { name: 'stories260K-shaped bf16', bytes: bf16, layout: safetensorsLayout(bf16) },
    ];
  },
  generate: generateSafetensors,
  async read(bytes) {
    await useModel(await loadHfModel(await hfFolder(bytes), 'fuzz'));
  },
  typed: modelTyped,
};

const BASE_CONFIG: ModelConfig = syntheticConfig();
const BASE = { config: BASE_CONFIG, name: 'synthetic' };

/** The folder's JSON files: config.json, tokenizer.json (vocabulary, merges, pre-tokenizer) and tokenizer_config.json (chat template). */
export const hfFolderTarget: FuzzTarget = {
  name: 'hf-folder',
  async seeds() {
    return Promise.all(
      ['config.json', 'tokenizer.json', 'tokenizer_config.json'].map(async (name) => ({ name, bytes: await storiesFile(`hf/${name}`), layout: TEXT_LAYOUT })),
    );
  },
  generate: (rng) => new TextEncoder().encode(JSON.stringify(generateJsonValue(rng))),
  async read(bytes, seed) {
    await useModel(await loadHfModel(await hfFolder(bytes, seed ?? 'config.json'), 'fuzz'));
  },
  typed: modelTyped,
};

export const ggufLoraTarget: FuzzTarget = {
  name: 'gguf-lora',
  async seeds() {
    const make = (r: number, targets?: LoraTarget[]) => concatBytes(exportGgufLora(randomAdapter({ ...BASE_CONFIG }, { r, targets, baseModel: 'synthetic' })));
    const all = make(4);
    const some = make(2, ['q', 'v']);
    return [
      { name: 'lora r4 all targets', bytes: all, layout: ggufLayout(all) },
      { name: 'lora r2 q,v', bytes: some, layout: ggufLayout(some) },
    ];
  },
  generate: generateGguf,
  async read(bytes) {
    await importGgufLora(bytesSource(bytes, 'fuzz.gguf'), { base: BASE });
  },
  typed: typedBy(ModelFormatError, AdapterMismatchError),
};

function ia3Zip(): Uint8Array {
  const width = (t: LoraTarget) => (t === 'down' ? BASE_CONFIG.intermediateSize : BASE_CONFIG.numKvHeads * BASE_CONFIG.headDim);
  const vectors = Array.from({ length: BASE_CONFIG.numLayers }, (_, layer) =>
    IA3_DEFAULT.targets.map((target, i) => ({ layer, target, l: patternValues(width(target), layer * 3 + i).map((v) => 1 + v) })),
  ).flat();
  return zipFiles(exportPeftIa3(ia3AdapterFromTrainer(IA3_DEFAULT, BASE, vectors), BASE_CONFIG));
}

function promptZip(): Uint8Array {
  const rows = patternValues(8 * BASE_CONFIG.hiddenSize, 5);
  return zipFiles(exportPeftPrompt(promptAdapterFromTrainer({ virtualTokens: 8, init: 'TEXT', text: 'Once upon a time' }, BASE, rows)));
}

export const peftZipTarget: FuzzTarget = {
  name: 'peft-zip',
  async seeds() {
    const lora = zipFiles(exportPeft(randomAdapter(BASE_CONFIG, { r: 4, baseModel: 'synthetic' })));
    const dora = zipFiles(exportPeft(randomAdapter(BASE_CONFIG, { r: 2, useDora: true, targets: ['q', 'v'], baseModel: 'synthetic' })));
    const seeds: FuzzSeed[] = [
      { name: 'lora.zip', bytes: lora, layout: zipLayout(lora) },
      { name: 'dora.zip', bytes: dora, layout: zipLayout(dora) },
    ];
    for (const [name, bytes] of [['ia3.zip', ia3Zip()], ['prompt.zip', promptZip()]] as const) seeds.push({ name, bytes, layout: zipLayout(bytes) });
    return seeds;
  },
  generate: generateZip,
  async read(bytes) {
    await readUploadedAdapter([{ path: 'fuzz.zip', source: bytesSource(bytes, 'fuzz.zip') }], 'fuzz.zip', BASE);
  },
  typed: typedBy(AdapterUploadError),
};
