/**
 * The adapter files without a GPU: PEFT and llama.cpp GGUF LoRA exports carry those tools' names, shapes and keys,
 * round trips are exact from either q/k row layout, the q/k permutation is the one relating stories260K's GGUF and
 * HF weights, and broken or foreign files are refused with messages naming the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config';
import { ModelFormatError } from '../model/errors';
import { openGgufModel } from '../model/gguf/model';
import { readGguf, readTensorBytes } from '../model/gguf/reader';
import { encodeGguf, gguf } from '../model/gguf/writer';
import { readHfFolder } from '../model/hf/folder';
import { readHostTensor } from '../model/host-weights';
import { readSafetensors, readSafetensorsTensorBytes } from '../model/safetensors/reader';
import { encodeSafetensors, type SafetensorsWriteTensor } from '../model/safetensors/writer';
import { bytesSource, concatBytes, type ByteSource } from '../model/source';
import { closeSources, fileSource, folderSources } from '../model/source-node';
import type { ModelWeights } from '../model/tensor-map';
import { AdapterMismatchError } from './fit';
import { adapterFromTrainer } from './from-trainer';
import { exportGgufLora, ggufLoraTensorName, importGgufLora } from './gguf-lora';
import { importAdapter } from './import';
import { LORA_TARGETS } from '../model/lora-targets';
import { adapterScale, baseShapeOf, type LoraAdapter, targetDims } from './lora-weights';
import { mergeIntoDense } from './merge';
import { exportPeft, importPeft, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, peftTensorName } from './peft';
import { permuteRowsToHalf, permuteRowsToInterleaved } from './rope-permute';
import { filesOf, randomAdapter } from './test-adapter';

const MODELS = '../shared/models/stories260K';
let ggufBase: { config: ModelConfig; weights: ModelWeights };
let hfBase: { config: ModelConfig; weights: ModelWeights };
const opened: ByteSource[] = [];

beforeAll(async () => {
  const source = await fileSource(`${MODELS}/stories260K.gguf`);
  opened.push(source);
  const g = await openGgufModel(source);
  ggufBase = { config: g.config, weights: g.weights };
  const folder = await folderSources(`${MODELS}/hf`);
  opened.push(...folder.values());
  const h = await readHfFolder(folder, 'hf');
  hfBase = { config: h.config, weights: h.weights };
});
afterAll(() => closeSources(opened));

function expectSameAdapter(actual: LoraAdapter, expected: LoraAdapter): void {
  expect(actual.rowLayout).toBe(expected.rowLayout);
  expect(actual.config).toEqual(expected.config);
  expect(actual.layers.length).toBe(expected.layers.length);
  actual.layers.forEach((layer, l) => {
    expect(Object.keys(layer).sort()).toEqual(Object.keys(expected.layers[l]).sort());
    for (const t of expected.config.targets) {
      const [a, e] = [layer[t]!, expected.layers[l][t]!];
      expect([a.outFeatures, a.inFeatures]).toEqual([e.outFeatures, e.inFeatures]);
      // Exact: toEqual on typed arrays compares every value.
      expect(a.a).toEqual(e.a);
      expect(a.b).toEqual(e.b);
    }
  });
}

describe('rope permutation', () => {
  it("maps stories260K's HF q/k rows onto its GGUF rows, and back", async () => {
    const c = ggufBase.config;
    for (const [role, heads] of [['attn_q', c.numHeads], ['attn_k', c.numKvHeads]] as const) {
      const fromGguf = await readHostTensor(ggufBase.weights.tensors.get(`layers.2.${role}`)!);
      const fromHf = await readHostTensor(hfBase.weights.tensors.get(`layers.2.${role}`)!);
      expect(fromGguf).not.toEqual(fromHf);
      expect(permuteRowsToInterleaved(fromHf, heads, c.hiddenSize)).toEqual(fromGguf);
      expect(permuteRowsToHalf(fromGguf, heads, c.hiddenSize)).toEqual(fromHf);
    }
  });

  it('refuses rows that do not split into heads of an even size', () => {
    expect(() => permuteRowsToInterleaved(new Float32Array(12), 4, 1)).toThrow(/12 rows do not split into 4 heads of an even size/);
  });
});

describe('merge', () => {
  it('W + scale·B·A, against a hand-computed product', () => {
    // W [2, 3], A [1, 3], B [2, 1]
    const w = Float32Array.from([1, 2, 3, 4, 5, 6]);
    mergeIntoDense(w, Float32Array.from([1, 0, -1]), Float32Array.from([2, 3]), 0.5, { outFeatures: 2, inFeatures: 3 });
    expect([...w]).toEqual([2, 2, 2, 5.5, 5, 4.5]);
  });
});

describe('PEFT export', () => {
  it("writes PEFT's config keys and tensor names, [r, in] A and [out, r] B in HF row order", async () => {
    const adapter = randomAdapter(ggufBase.config, { r: 4, alpha: 8, rowLayout: 'interleaved' });
    const files = filesOf(exportPeft(adapter));
    const json = JSON.parse(new TextDecoder().decode(await files.get(PEFT_CONFIG_FILE)!.read(0, files.get(PEFT_CONFIG_FILE)!.size)));
    expect(json).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0.05,
      use_rslora: false,
      bias: 'none',
      fan_in_fan_out: false,
      base_model_name_or_path: 'stories260K',
      target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    });

    const st = await readSafetensors(files.get(PEFT_WEIGHTS_FILE)!);
    expect(st.tensors).toHaveLength(5 * 7 * 2);
    const c = ggufBase.config;
    const q0 = st.tensorByName.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!;
    expect(q0.shape).toEqual([4, c.hiddenSize]);
    expect(q0.dtype).toBe('F32');
    const down4 = st.tensorByName.get('base_model.model.model.layers.4.mlp.down_proj.lora_B.weight')!;
    expect(down4.shape).toEqual([c.hiddenSize, 4]);
    for (let l = 0; l < 5; l++) {
      for (const t of LORA_TARGETS) {
        const d = targetDims(baseShapeOf(c), t);
        expect(st.tensorByName.get(peftTensorName(l, t, 'a'))!.shape).toEqual([4, d.in]);
        expect(st.tensorByName.get(peftTensorName(l, t, 'b'))!.shape).toEqual([d.out, 4]);
      }
    }
    // q/k B rows in HF (rotate-half) order, A and the other targets untouched.
    const read = async (name: string) => new Float32Array((await readSafetensorsTensorBytes(st, st.tensorByName.get(name)!)).slice().buffer);
    const p = adapter.layers[1];
    expect(await read(peftTensorName(1, 'q', 'b'))).toEqual(permuteRowsToHalf(p.q!.b, c.numHeads, 4));
    expect(await read(peftTensorName(1, 'k', 'b'))).toEqual(permuteRowsToHalf(p.k!.b, c.numKvHeads, 4));
    expect(await read(peftTensorName(1, 'q', 'a'))).toEqual(p.q!.a);
    expect(await read(peftTensorName(1, 'v', 'b'))).toEqual(p.v!.b);
  });

  it('round-trips exactly, for an adapter in HF and in GGUF row order', async () => {
    const hf = randomAdapter(hfBase.config, { seed: 2, targets: ['q', 'k', 'v', 'down'], useRslora: true, alpha: 3 });
    expectSameAdapter(await importPeft(filesOf(exportPeft(hf))), hf);
    expectSameAdapter(await importPeft(filesOf(exportPeft(hf)), { base: { config: hfBase.config, name: 'hf' } }), hf);

    const fromGguf = randomAdapter(ggufBase.config, { seed: 3 });
    expect(fromGguf.rowLayout).toBe('interleaved');
    const back = await importPeft(filesOf(exportPeft(fromGguf)), { base: { config: ggufBase.config, name: 'stories260K.gguf' } });
    expectSameAdapter(back, fromGguf);
  });
});

describe('GGUF LoRA export', () => {
  it("writes llama.cpp's keys and tensors: lora_a ne [in, r], lora_b ne [r, out], q/k B rows interleaved", async () => {
    const c = hfBase.config;
    const adapter = randomAdapter(c, { r: 4, alpha: 8, rowLayout: 'half' });
    const file = await readGguf(bytesSource(concatBytes(exportGgufLora(adapter)), 'adapter.gguf'));
    const m = file.metadata;
    expect(m.string('general.type')).toBe('adapter');
    expect(m.string('general.architecture')).toBe('llama');
    expect(m.string('adapter.type')).toBe('lora');
    expect(m.number('adapter.lora.alpha')).toBe(8);
    expect(file.tensors).toHaveLength(5 * 7 * 2);
    const qa = file.tensorByName.get('blk.0.attn_q.weight.lora_a')!;
    const qb = file.tensorByName.get('blk.0.attn_q.weight.lora_b')!;
    expect(qa.dims).toEqual([c.hiddenSize, 4]);
    expect(qb.dims).toEqual([4, c.numHeads * c.headDim]);
    expect(qa.type.name).toBe('F32');
    expect(file.tensorByName.get('blk.3.attn_output.weight.lora_a')!.dims).toEqual([c.numHeads * c.headDim, 4]);
    expect(file.tensorByName.get('blk.3.ffn_down.weight.lora_b')!.dims).toEqual([4, c.hiddenSize]);
    expect(ggufLoraTensorName(2, 'gate', 'a')).toBe('blk.2.ffn_gate.weight.lora_a');
    // The HF-layout adapter's q/k B rows are written in llama.cpp's interleaved order, as its converter does.
    const bytes = await readTensorBytes(file, file.tensorByName.get('blk.1.attn_k.weight.lora_b')!);
    expect(new Float32Array(bytes.slice().buffer)).toEqual(permuteRowsToInterleaved(adapter.layers[1].k!.b, c.numKvHeads, 4));
  });

  it('round-trips exactly, for an adapter in GGUF and in HF row order', async () => {
    const fromGguf = randomAdapter(ggufBase.config, { seed: 4, r: 3, alpha: 0.1, dropout: 0.1 });
    expectSameAdapter(await importGgufLora(bytesSource(concatBytes(exportGgufLora(fromGguf)), 'adapter.gguf')), fromGguf);

    const hf = randomAdapter(hfBase.config, { seed: 5, targets: ['k', 'o', 'up'] });
    const back = await importGgufLora(bytesSource(concatBytes(exportGgufLora(hf)), 'adapter.gguf'), {
      base: { config: hfBase.config, name: 'hf' },
    });
    expectSameAdapter(back, hf);
  });

  it("stores rsLoRA as alpha·√r, so llama.cpp's alpha/r is the rsLoRA scale, and reads a plain llama.cpp file", async () => {
    const adapter = randomAdapter(ggufBase.config, { r: 4, alpha: 6, useRslora: true, targets: ['v'] });
    const parts = exportGgufLora(adapter);
    const file = await readGguf(bytesSource(concatBytes(parts), 'adapter.gguf'));
    const stored = file.metadata.number('adapter.lora.alpha');
    expect(stored / 4).toBeCloseTo(adapterScale(adapter.config), 6);
    expectSameAdapter(await importGgufLora(bytesSource(concatBytes(parts), 'adapter.gguf')), adapter);

    // What convert_lora_to_gguf.py writes: no webtune keys, no base fingerprint beyond the architecture.
    const plain = encodeGguf({
      metadata: [
        ['general.architecture', gguf.string('llama')],
        ['general.type', gguf.string('adapter')],
        ['adapter.type', gguf.string('lora')],
        ['adapter.lora.alpha', gguf.f32(16)],
      ],
      tensors: adapter.layers.flatMap((layer, l) => [
        { name: ggufLoraTensorName(l, 'v', 'a'), shape: [4, 64], type: 'F32' as const, data: new Uint8Array(layer.v!.a.slice().buffer) },
        { name: ggufLoraTensorName(l, 'v', 'b'), shape: [32, 4], type: 'F32' as const, data: new Uint8Array(layer.v!.b.slice().buffer) },
      ]),
    });
    const read = await importGgufLora(bytesSource(concatBytes(plain), 'plain.gguf'), { base: { config: ggufBase.config, name: 'stories260K.gguf' } });
    expect(read.config).toMatchObject({ r: 4, alpha: 16, useRslora: false, targets: ['v'] });
    expect(read.layers[3].v!.b).toEqual(adapter.layers[3].v!.b);
  });
});

describe('adapterFromTrainer', () => {
  it("copies the trainer's host pairs into an adapter in the base's row layout, and checks their sizes", async () => {
    const source = randomAdapter(ggufBase.config, { seed: 9, targets: ['q', 'up'] });
    const settings = { rank: 4, alpha: 8, rsLora: false, targets: ['up', 'q'] as const, dropout: 0.05 };
    const matrices = source.layers.flatMap((layer, l) => (['q', 'up'] as const).map((target) => ({ layer: l, target, ...layer[target]! })));
    const adapter = adapterFromTrainer({ ...settings, targets: [...settings.targets] }, { config: ggufBase.config, name: 'stories260K' }, matrices);
    expect(adapter.rowLayout).toBe('interleaved');
    expectSameAdapter(adapter, source);
    expect(adapter.layers[0].q!.a).not.toBe(source.layers[0].q!.a); // copied, not aliased to the trainer's arrays
    expect(() =>
      adapterFromTrainer({ rank: 4, alpha: 8, rsLora: false, targets: ['v'] }, { config: ggufBase.config, name: 'x' }, [
        { layer: 0, target: 'v', a: new Float32Array(4 * 64), b: new Float32Array(31 * 4) },
      ]),
    ).toThrow("adapterFromTrainer: layer 0 'v' has A 256 and B 124 values; [4, 64] and [32, 4] need 256 and 128");
    expect(() =>
      adapterFromTrainer({ rank: 4, alpha: 8, rsLora: false, targets: ['v'] }, { config: ggufBase.config, name: 'x' }, []),
    ).toThrow("adapterFromTrainer: the trainer has no adapter for layer 0 'v'");
  });
});

/** A PEFT folder whose weights are the adapter's tensors after `edit` (drop, reshape, rename). */
function peftWith(
  adapter: LoraAdapter,
  edit: (tensors: SafetensorsWriteTensor[]) => SafetensorsWriteTensor[],
  metadata: Record<string, string> = { format: 'pt' },
): Map<string, ByteSource> {
  const files = filesOf(exportPeft(adapter));
  const tensors: SafetensorsWriteTensor[] = adapter.layers.flatMap((layer, l) =>
    adapter.config.targets.flatMap((t) => {
      const p = layer[t]!;
      return [
        { name: peftTensorName(l, t, 'a'), dtype: 'F32' as const, shape: [adapter.config.r, p.inFeatures], data: new Uint8Array(p.a.slice().buffer) },
        { name: peftTensorName(l, t, 'b'), dtype: 'F32' as const, shape: [p.outFeatures, adapter.config.r], data: new Uint8Array(p.b.slice().buffer) },
      ];
    }),
  );
  files.set(PEFT_WEIGHTS_FILE, bytesSource(concatBytes(encodeSafetensors(edit(tensors), metadata)), PEFT_WEIGHTS_FILE));
  return files;
}

describe("another tool's files", () => {
  it('a tensor-only PEFT file (no webtune fingerprint) loads onto the GGUF base with its q/k rows interleaved', async () => {
    const hf = randomAdapter(hfBase.config, { seed: 6, rowLayout: 'half', targets: ['q', 'k', 'gate'] });
    const files = peftWith(hf, (t) => t);
    const bare = await importPeft(files);
    expect(bare.config.base).toMatchObject({ architecture: null, numHeads: null, hiddenSize: 64, intermediateSize: 172, numLayers: 5 });
    const onGguf = await importPeft(files, { base: { config: ggufBase.config, name: 'stories260K.gguf' } });
    expect(onGguf.rowLayout).toBe('interleaved');
    expect(onGguf.config.base).toEqual(baseShapeOf(ggufBase.config));
    expect(onGguf.layers[4].q!.b).toEqual(permuteRowsToInterleaved(hf.layers[4].q!.b, 8, 4));
    expect(onGguf.layers[4].k!.b).toEqual(permuteRowsToInterleaved(hf.layers[4].k!.b, 4, 4));
    expect(onGguf.layers[4].gate!.b).toEqual(hf.layers[4].gate!.b);
  });

  it("a Mistral adapter's GGUF says 'llama', as llama.cpp's Mistral models do, and still fits the Mistral base", async () => {
    const mistral: ModelConfig = { ...hfBase.config, architecture: 'mistral' };
    const adapter = randomAdapter(mistral, { seed: 7, rowLayout: 'half' });
    const parts = exportGgufLora(adapter);
    const file = await readGguf(bytesSource(concatBytes(parts), 'adapter.gguf'));
    expect(file.metadata.string('general.architecture')).toBe('llama');
    expect(file.metadata.integer('llama.block_count')).toBe(5);
    const back = await importGgufLora(bytesSource(concatBytes(parts), 'adapter.gguf'), { base: { config: mistral, name: 'mistral-hf' } });
    expect(back.layers[2].q!.b).toEqual(adapter.layers[2].q!.b);
    // A Qwen2 base of the same shapes is another model.
    await expect(
      importGgufLora(bytesSource(concatBytes(parts), 'adapter.gguf'), { base: { config: { ...mistral, architecture: 'qwen2' }, name: 'qwen' } }),
    ).rejects.toThrow(/does not fit 'qwen'.*architecture llama vs qwen2/);
  });
});

describe('refusals', () => {
  const base = () => ({ config: ggufBase.config, name: 'stories260K.gguf' });

  it('an adapter made for another base, naming both (PEFT and GGUF)', async () => {
    const other: ModelConfig = { ...hfBase.config, hiddenSize: 32, intermediateSize: 44, numLayers: 2, numHeads: 4, numKvHeads: 2 };
    const adapter = randomAdapter(other, { baseModel: 'TinyLlama/other-32', rowLayout: 'half' });
    const peft = importPeft(filesOf(exportPeft(adapter)), { base: base() });
    await expect(peft).rejects.toThrow(AdapterMismatchError);
    await expect(peft).rejects.toThrow(/made for 'TinyLlama\/other-32' \(llama, hidden size 32.*does not fit 'stories260K.gguf' \(llama, hidden size 64.*layers 2 vs 5/);
    const ggufFile = bytesSource(concatBytes(exportGgufLora(adapter)), 'adapter.gguf');
    await expect(importGgufLora(ggufFile, { base: base() })).rejects.toThrow(/'TinyLlama\/other-32'.*does not fit 'stories260K.gguf'.*hidden size 32 vs 64/);
  });

  it('an adapter of the same shapes but another vocabulary (another base of the family)', async () => {
    const adapter = randomAdapter({ ...ggufBase.config, vocabSize: 32000 }, { baseModel: 'big-vocab' });
    await expect(importPeft(filesOf(exportPeft(adapter)), { base: base() })).rejects.toThrow(/'big-vocab'.*'stories260K.gguf'.*vocabulary 32000 vs 512/);
  });

  it('a tensor-only PEFT file (no fingerprint) whose shapes belong to another base', async () => {
    const other: ModelConfig = { ...hfBase.config, hiddenSize: 48, numHeads: 6, numKvHeads: 3 };
    const adapter = randomAdapter(other, { baseModel: 'other-48', rowLayout: 'half', targets: ['v', 'up'] });
    // Rewritten without webtune's metadata: all the importer knows is the tensors.
    const files = peftWith(adapter, (t) => t);
    await expect(importPeft(files, { base: base() })).rejects.toThrow(/'other-48' \(.*hidden size 48.*does not fit 'stories260K.gguf'.*hidden size 48 vs 64/);
  });

  it('missing tensors, naming the file and the tensor', async () => {
    const adapter = randomAdapter(ggufBase.config);
    const files = peftWith(adapter, (t) => t.filter((x) => x.name !== peftTensorName(2, 'up', 'b')));
    await expect(importPeft(files)).rejects.toThrow(
      new ModelFormatError(PEFT_WEIGHTS_FILE, `tensor '${peftTensorName(2, 'up', 'b')}' is missing (r 4, targets q, k, v, o, gate, up, down, 5 layers)`),
    );
    const noConfig = filesOf(exportPeft(adapter));
    noConfig.delete(PEFT_CONFIG_FILE);
    await expect(importAdapter(noConfig, 'my-adapter')).rejects.toThrow(/my-adapter: is not a LoRA adapter: .*adapter_model.safetensors without adapter_config.json/);
  });

  it('a rank that disagrees with r', async () => {
    const adapter = randomAdapter(ggufBase.config, { r: 4 });
    const name = peftTensorName(1, 'gate', 'a');
    const files = peftWith(adapter, (t) => t.map((x) => (x.name === name ? { ...x, shape: [5, 64], data: new Uint8Array(5 * 64 * 4) } : x)));
    await expect(importPeft(files)).rejects.toThrow(`${PEFT_WEIGHTS_FILE}: tensor '${name}' has shape [5, 64]: rank 5, but r is 4`);
  });

  it('wrong shapes: a projection size the base does not have', async () => {
    const adapter = randomAdapter(ggufBase.config, { r: 4 });
    const name = peftTensorName(0, 'q', 'b');
    const files = peftWith(adapter, (t) => t.map((x) => (x.name === name ? { ...x, shape: [60, 4], data: new Uint8Array(60 * 4 * 4) } : x)));
    // A tensor-only file: the first q B sets q's output size, and o's A (whose input it is) disagrees with it.
    await expect(importPeft(files)).rejects.toThrow(
      `${PEFT_WEIGHTS_FILE}: tensor '${peftTensorName(0, 'o', 'a')}' has shape [4, 64]: its input size 64 is not ` +
        `q's output size (heads × head size) 60 (from '${name}')`,
    );
    // With webtune's fingerprint, the base's own size is the reference.
    const recorded = filesOf(exportPeft(adapter));
    const st = await readSafetensors(recorded.get(PEFT_WEIGHTS_FILE)!);
    const withMeta = peftWith(adapter, (t) => t.map((x) => (x.name === name ? { ...x, shape: [60, 4], data: new Uint8Array(60 * 4 * 4) } : x)), st.metadata);
    await expect(importPeft(withMeta)).rejects.toThrow(
      `${PEFT_WEIGHTS_FILE}: tensor '${name}' has shape [60, 4]: its output size 60 is not q's output size (heads × head size) 64 (from the base)`,
    );
  });

  it('a model file given as an adapter, and a GGUF LoRA with a tensor missing', async () => {
    const model = await fileSource(`${MODELS}/stories260K.gguf`);
    opened.push(model);
    await expect(importGgufLora(model)).rejects.toThrow(
      /stories260K.gguf: general.type is .*expected 'adapter'/,
    );
    const adapter = randomAdapter(ggufBase.config, { targets: ['q'] });
    const broken = encodeGguf({
      metadata: [
        ['general.architecture', gguf.string('llama')],
        ['general.type', gguf.string('adapter')],
        ['adapter.type', gguf.string('lora')],
        ['adapter.lora.alpha', gguf.f32(8)],
        ['llama.block_count', gguf.u32(5)],
      ],
      tensors: adapter.layers.flatMap((layer, l) =>
        l === 3
          ? [{ name: ggufLoraTensorName(l, 'q', 'a'), shape: [4, 64], type: 'F32' as const, data: new Uint8Array(layer.q!.a.slice().buffer) }]
          : [
              { name: ggufLoraTensorName(l, 'q', 'a'), shape: [4, 64], type: 'F32' as const, data: new Uint8Array(layer.q!.a.slice().buffer) },
              { name: ggufLoraTensorName(l, 'q', 'b'), shape: [64, 4], type: 'F32' as const, data: new Uint8Array(layer.q!.b.slice().buffer) },
            ],
      ),
    });
    await expect(importGgufLora(bytesSource(concatBytes(broken), 'broken.gguf'))).rejects.toThrow(
      "broken.gguf: tensor 'blk.3.attn_q.weight.lora_b' is missing",
    );
  });
});
