/**
 * The merged-model export against an independent reference: stories260K's Hugging Face checkpoint (HF row order)
 * plus scale·B·A from the adapter's PEFT file, computed here, must equal what the export wrote from the GGUF base
 * (interleaved q/k rows, converted back on the way out).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPeft, importPeft } from '../adapters/peft';
import { adaptToBase } from '../adapters/fit';
import { adapterScale, type LoraAdapter } from '../adapters/lora-weights';
import { filesOf, randomAdapter } from '../adapters/test-adapter';
import { floatBytesToF32 } from '../model/dtype';
import { closeModel, type LoadedModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { readSafetensors, readSafetensorsTensorBytes } from '../model/safetensors/reader';
import { bytesSource, concatBytes } from '../model/source';
import { mergedSafetensors } from './hf-folder';

let gguf: LoadedModel;
let hf: LoadedModel;
let adapter: LoraAdapter;

beforeAll(async () => {
  gguf = await loadModelFromPath('public/models/stories260K/stories260K.gguf');
  hf = await loadModelFromPath('public/models/stories260K/hf');
  adapter = randomAdapter(gguf.config, { r: 4, alpha: 8, seed: 5, bScale: 0.5 });
});

async function tensor(bytes: Uint8Array, name: string): Promise<{ values: Float32Array; shape: number[] }> {
  const file = await readSafetensors(bytesSource(bytes, 'merged.safetensors'));
  const info = file.tensors.find((t) => t.name === name);
  if (!info) throw new Error(`no tensor ${name}`);
  return { values: floatBytesToF32((await readSafetensorsTensorBytes(file, info)).slice(), info.dtype), shape: info.shape };
}

afterAll(async () => {
  await closeModel(gguf);
  await closeModel(hf);
});

describe('mergedSafetensors', () => {
  it('writes every base tensor in HF names, adapted ones equal to W + scale·B·A in HF row order', async () => {
    const onBase = adaptToBase(adapter, gguf.config, 'stories260K.gguf');
    const bytes = concatBytes(await mergedSafetensors(gguf, onBase, 'f32', { baseName: 'stories260K.gguf', adapterName: 'moon' }));
    const file = await readSafetensors(bytesSource(bytes, 'merged.safetensors'));
    expect(file.metadata['webtune.adapter']).toBe('moon');
    // The HF checkpoint ties its head; the GGUF base keeps its own, which the merged model must keep too.
    const hfNames = [...hf.weights.tensors.values()].map((r) => r.name);
    const expected = gguf.config.tiedEmbeddings ? hfNames : [...hfNames, 'lm_head.weight'];
    expect(file.tensors.map((t) => t.name).sort()).toEqual([...new Set(expected)].sort());

    // The reference: the PEFT file (HF rows) applied to the HF checkpoint by hand.
    const peft = await importPeft(filesOf(exportPeft(adapter)));
    const scale = adapterScale(peft.config);
    for (const [layer, target, name] of [
      [0, 'q', 'model.layers.0.self_attn.q_proj.weight'],
      [1, 'k', 'model.layers.1.self_attn.k_proj.weight'],
      [2, 'down', 'model.layers.2.mlp.down_proj.weight'],
    ] as const) {
      const merged = await tensor(bytes, name);
      const ref = [...hf.weights.tensors.values()].find((r) => r.name === name)!;
      const w = floatBytesToF32((await ref.read()).slice(), ref.dtype as 'F32');
      const { a, b, outFeatures: out, inFeatures: cols } = peft.layers[layer][target]!;
      const r = peft.config.r;
      expect(merged.shape).toEqual([out, cols]);
      let changed = 0;
      for (let o = 0; o < out; o += 3) {
        for (let c = 0; c < cols; c += 5) {
          let ba = 0;
          for (let k = 0; k < r; k++) ba += b[o * r + k] * a[k * cols + c];
          const want = w[o * cols + c] + scale * ba;
          expect(Math.abs(merged.values[o * cols + c] - want)).toBeLessThan(1e-5 + 1e-5 * Math.abs(want));
          if (Math.abs(scale * ba) > 1e-4) changed++;
        }
      }
      expect(changed).toBeGreaterThan(0);
    }
    // A tensor no adapter touches is the base's own.
    const norm = await tensor(bytes, 'model.layers.0.input_layernorm.weight');
    const normRef = [...hf.weights.tensors.values()].find((r) => r.name === 'model.layers.0.input_layernorm.weight')!;
    expect(norm.values).toEqual(floatBytesToF32((await normRef.read()).slice(), 'F32'));
  });
});
