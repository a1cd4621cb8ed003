/**
 * Adapter uploads as the Adapters view receives them: a PEFT folder, a .zip of one, a GGUF LoRA, and the bad files
 * users give by mistake, each with its own message. stories260K (GGUF) is the loaded base.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportGgufLora } from '../adapters/gguf-lora';
import { exportPeft } from '../adapters/peft';
import { randomAdapter } from '../adapters/test-adapter';
import type { LoraAdapter } from '../adapters/lora-weights';
import { withRowLayout } from '../adapters/lora-weights';
import { ia3AdapterFromTrainer, promptAdapterFromTrainer } from '../adapters/from-trainer';
import { type AnyAdapter, isIa3Adapter, isPromptAdapter } from '../adapters/any-adapter';
import { exportPeftIa3 } from '../adapters/peft-ia3';
import { exportPeftPrompt } from '../adapters/peft-prompt';
import { IA3_DEFAULT } from '../model/lora-targets';
import { closeModel, type LoadedModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { syntheticConfig } from '../model/fixtures';
import { bytesSource, concatBytes } from '../model/source';
import { AdapterUploadError, adapterNameOf, readUploadedAdapter, type UploadedFile } from './adapter-upload';
import { zipFiles } from './zip';

const MODEL = 'public/models/stories260K/stories260K.gguf';
let base: LoadedModel;
let adapter: LoraAdapter;
const baseRef = () => ({ config: base.config, name: 'stories260K.gguf' });

beforeAll(async () => {
  base = await loadModelFromPath(MODEL);
  adapter = randomAdapter(base.config, { r: 4, alpha: 8, seed: 3 });
});

afterAll(() => closeModel(base));

function file(path: string, bytes: Uint8Array | string): UploadedFile {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return { path, source: bytesSource(data, path.slice(path.lastIndexOf('/') + 1)) };
}

function peftFolder(prefix: string): UploadedFile[] {
  return Object.entries(exportPeft(adapter)).map(([name, parts]) => file(`${prefix}/${name}`, concatBytes(parts)));
}

async function refused(files: UploadedFile[], label: string): Promise<AdapterUploadError> {
  const error = await readUploadedAdapter(files, label, baseRef()).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AdapterUploadError);
  return error as AdapterUploadError;
}

/** Same weights in the same (HF) row order. */
function expectSameWeights(read: AnyAdapter, want: LoraAdapter): void {
  if (isIa3Adapter(read) || isPromptAdapter(read)) throw new Error('expected a LoRA adapter');
  const a = withRowLayout(read, 'half');
  const b = withRowLayout(want, 'half');
  expect(a.config.targets).toEqual(b.config.targets);
  a.layers.forEach((layer, l) => {
    for (const t of a.config.targets) {
      expect(layer[t]!.a).toEqual(b.layers[l][t]!.a);
      expect(layer[t]!.b).toEqual(b.layers[l][t]!.b);
    }
  });
}

describe('readUploadedAdapter', () => {
  it('reads a dropped PEFT folder, checked against the base, with the record the library lists', async () => {
    const read = await readUploadedAdapter(peftFolder('moon-adapter'), 'moon-adapter', baseRef());
    expect(read.format).toBe('peft');
    expect(read.record).toMatchObject({
      name: 'moon-adapter',
      baseModel: 'stories260K',
      method: 'imported (PEFT)',
      rank: 4,
      alpha: 8,
      dataset: null,
      valLoss: null,
      source: 'imported',
    });
    expect((read.adapter as LoraAdapter).rowLayout).toBe(base.config.ropeLayout);
    expectSameWeights(read.adapter, adapter);
  });

  it("reads PEFT's IA³ and prompt-tuning folders, with their methods in the record", async () => {
    const c = base.config.hiddenSize;
    const prompt = promptAdapterFromTrainer({ virtualTokens: 4, init: 'SAMPLE_VOCAB', text: null }, baseRef(), new Float32Array(4 * c).fill(0.25));
    const promptFiles = Object.entries(exportPeftPrompt(prompt)).map(([n, p]) => file(`soft/${n}`, concatBytes(p)));
    const read = await readUploadedAdapter(promptFiles, 'soft', baseRef());
    expect(read.record).toMatchObject({ name: 'soft', method: 'Prompt tuning (imported PEFT)', rank: 0, alpha: 0, targets: [] });
    expect(read.adapter).toEqual(prompt);
    const ia3 = ia3AdapterFromTrainer(IA3_DEFAULT, baseRef(), [0, 1, 2, 3, 4].flatMap((layer) => [
      { layer, target: 'k' as const, l: new Float32Array(32).fill(1.5) },
      { layer, target: 'v' as const, l: new Float32Array(32).fill(0.5) },
      { layer, target: 'down' as const, l: new Float32Array(172).fill(1) },
    ]));
    const ia3Files = Object.entries(exportPeftIa3(ia3, base.config)).map(([n, p]) => file(n, concatBytes(p)));
    const readIa3 = await readUploadedAdapter(ia3Files, 'scales', baseRef());
    expect(readIa3.record).toMatchObject({ method: 'IA³ (imported PEFT)', rank: 0, targets: ['k', 'v', 'down'] });
    // A prompt of another width is refused as made for another base.
    const narrow = syntheticConfig();
    const error = await readUploadedAdapter(promptFiles, 'soft', { config: narrow, name: 'narrow' }).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ problem: 'wrong-base', message: expect.stringMatching(/embeds tokens 32 wide/) });
  });

  it('unpacks a .zip of the folder, with or without a top folder inside', async () => {
    const parts = exportPeft(adapter);
    for (const prefix of ['', 'inner/']) {
      const zip = zipFiles(Object.fromEntries(Object.entries(parts).map(([n, p]) => [`${prefix}${n}`, p])));
      const read = await readUploadedAdapter([file('moon.zip', zip)], 'moon.zip', baseRef());
      expect(read.record.name).toBe('moon');
      expectSameWeights(read.adapter, adapter);
    }
  });

  it('reads a GGUF LoRA file', async () => {
    const gguf = concatBytes(exportGgufLora(adapter));
    const read = await readUploadedAdapter([file('moon.gguf', gguf)], 'moon.gguf', baseRef());
    expect(read.format).toBe('gguf');
    expect(read.record.method).toBe('imported (GGUF)');
    expectSameWeights(read.adapter, adapter);
  });

  it('refuses an adapter made for another base, naming both', async () => {
    const other = randomAdapter(syntheticConfig(), { baseModel: 'tiny-llama-test' });
    const files = Object.entries(exportPeft(other)).map(([n, p]) => file(n, concatBytes(p)));
    const error = await refused(files, 'other');
    expect(error.problem).toBe('wrong-base');
    expect(error.message).toContain("'tiny-llama-test'");
    expect(error.message).toContain("'stories260K.gguf'");
  });

  it('gives each bad upload its own message', async () => {
    const junk = new Uint8Array(256).map((_, i) => (i * 37 + 11) & 255);
    const cases: [UploadedFile[], string, RegExp][] = [
      [[file('junk.bin', junk)], 'junk.bin', /junk\.bin is not an adapter file: it is neither a \.zip archive nor a GGUF file/],
      [[file('junk.gguf', junk)], 'junk.gguf', /^junk\.gguf: /],
      [[file('empty.zip', new Uint8Array(0))], 'empty.zip', /empty\.zip is empty \(0 bytes\)/],
      [[file('notes.zip', zipFiles({ 'README.md': [new TextEncoder().encode('hello')] }))], 'notes.zip', /^notes\.zip: is not a LoRA adapter: expected adapter_config\.json.*found files README\.md$/],
      [[file('a/adapter_config.json', new TextDecoder().decode(exportPeft(adapter)['adapter_config.json'][0])), file('a/README.md', 'x')], 'a', /a has adapter_config\.json but no adapter_model\.safetensors/],
      [[file('a/adapter_config.json', ''), file('a/adapter_model.safetensors', concatBytes(exportPeft(adapter)['adapter_model.safetensors']))], 'a', /a: adapter_config\.json is empty/],
      [[], 'nothing', /Nothing to import/],
    ];
    for (const [files, label, message] of cases) {
      const error = await refused(files, label);
      expect(error.problem, label).toBe('bad-file');
      expect(error.message, label).toMatch(message);
    }
  });
});

describe('adapterNameOf', () => {
  it('drops the archive or GGUF extension', () => {
    expect(adapterNameOf('moon.zip')).toBe('moon');
    expect(adapterNameOf('moon.GGUF')).toBe('moon');
    expect(adapterNameOf('my folder')).toBe('my folder');
    expect(adapterNameOf('.zip')).toBe('Imported adapter');
  });
});
