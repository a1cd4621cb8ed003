/**
 * Adapters applied on the GPU, unmerged (y += scale·(x·Aᵀ)·Bᵀ), against the CPU reference forward over weights
 * with the adapter merged in: on stories260K from GGUF (interleaved q/k rows) and from the HF folder (rotate-half),
 * and on a Q8_0 copy whose weights stay quantized. The same adapter must mean the same thing on either base once
 * it went through a PEFT file (this is what proves the q/k permutation), and GGUF/PEFT files loaded back must
 * give the logits of the in-memory adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantizeForTest } from '../gpu/kernels/quant-testing';
import { LlamaModel } from '../gpu/model/llama';
import { releaseModel, uploadModel } from '../gpu/model/upload';
import { assertClose } from '../gpu/testing/compare';
import { testContext } from '../gpu/testing/gpu';
import type { ModelConfig } from '../model/config';
import { floatBytesToF32 } from '../model/dtype';
import { openGgufModel } from '../model/gguf/model';
import { readGguf, readTensorBytes } from '../model/gguf/reader';
import { encodeGguf, type GgufWriteTensor } from '../model/gguf/writer';
import { readHfFolder } from '../model/hf/folder';
import { readHostWeights } from '../model/host-weights';
import { type HostWeights, referenceForward } from '../model/reference-forward';
import { bytesSource, concatBytes, type ByteSource } from '../model/source';
import { closeSources, fileSource, folderSources } from '../model/source-node';
import type { ModelWeights } from '../model/tensor-map';
import { adaptToBase } from './fit';
import { exportGgufLora, importGgufLora } from './gguf-lora';
import { releaseLoraAdapter, uploadLoraAdapter } from './gpu-adapter';
import type { LoraAdapter } from './lora-weights';
import { mergeAdapterIntoHostWeights } from './merge';
import { exportPeft, importPeft } from './peft';
import { filesOf, randomAdapter } from './test-adapter';

const MODELS = '../shared/models/stories260K';
// f32 on the GPU vs float64 on the CPU, as in the model's own test (src/gpu/model/llama.test.ts).
const TOL = { atol: 2e-4, rtol: 1e-3 };
const PROMPT = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376];
const PREFILL = 7;

interface Base {
  name: string;
  config: ModelConfig;
  weights: ModelWeights;
  host: HostWeights;
}
const opened: ByteSource[] = [];
let gguf: Base;
let hf: Base;

async function base(name: string, weights: ModelWeights): Promise<Base> {
  return { name, config: weights.config, weights, host: await readHostWeights(weights.config, weights) };
}

beforeAll(async () => {
  const file = await fileSource(`${MODELS}/stories260K.gguf`);
  const folder = await folderSources(`${MODELS}/hf`);
  opened.push(file, ...folder.values());
  gguf = await base('stories260K.gguf', (await openGgufModel(file)).weights);
  hf = await base('hf', (await readHfFolder(folder, 'hf')).weights);
});
afterAll(() => closeSources(opened));

/**
 * GPU logits with `adapter` applied unmerged: after the prefill of PROMPT[0..PREFILL) and after each decoded
 * token, concatenated ([steps·V]).
 */
async function gpuLogits(b: Base, adapter: LoraAdapter | null): Promise<Float32Array> {
  const ctx = await testContext();
  const up = await uploadModel(ctx, b.weights);
  const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxChunkTokens: 4 });
  const gpuAdapter = adapter ? uploadLoraAdapter(ctx, adapter, b.config.ropeLayout) : null;
  model.setAdapter(gpuAdapter?.inference ?? null);
  const steps = [await model.forward(PROMPT.slice(0, PREFILL), 0)];
  for (let i = PREFILL; i < PROMPT.length; i++) steps.push(await model.forward([PROMPT[i]], i));
  model.dispose();
  if (gpuAdapter) releaseLoraAdapter(ctx, gpuAdapter);
  releaseModel(ctx, up);
  const out = new Float32Array(steps.length * b.config.vocabSize);
  steps.forEach((s, i) => out.set(s, i * b.config.vocabSize));
  return out;
}

/** The CPU reference's logits at the same positions, over `host`. */
function referenceLogits(config: ModelConfig, host: HostWeights): Float32Array {
  const v = config.vocabSize;
  const all = referenceForward(config, host, PROMPT);
  const out = new Float32Array((PROMPT.length - PREFILL + 1) * v);
  for (let i = PREFILL - 1, s = 0; i < PROMPT.length; i++, s++) out.set(all.subarray(i * v, (i + 1) * v), s * v);
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// B scaled down so the adapted model stays in a sane range, yet far from the base (checked in each test).
const ADAPTER = { r: 4, alpha: 8, bScale: 0.2 };

describe('LoRA applied unmerged on the GPU vs the CPU reference over merged weights', () => {
  for (const which of ['gguf', 'hf'] as const) {
    it(`stories260K from ${which === 'gguf' ? 'GGUF (interleaved q/k rows)' : 'the HF folder (rotate-half rows)'}`, async () => {
      const b = which === 'gguf' ? gguf : hf;
      // Made in the base's own layout, as an adapter trained on this base would be.
      const adapter = randomAdapter(b.config, { ...ADAPTER, seed: 11 });
      const actual = await gpuLogits(b, adapter);
      assertClose(actual, referenceLogits(b.config, mergeAdapterIntoHostWeights(b.host, adapter)), TOL, `${b.name} + LoRA`);
      // The adapter matters: the base's logits are far from these.
      expect(maxAbsDiff(actual, referenceLogits(b.config, b.host))).toBeGreaterThan(0.5);
    });
  }

  it('rsLoRA and a subset of targets', async () => {
    const adapter = randomAdapter(gguf.config, { ...ADAPTER, seed: 12, useRslora: true, alpha: 2, targets: ['k', 'o', 'down'] });
    const actual = await gpuLogits(gguf, adapter);
    assertClose(actual, referenceLogits(gguf.config, mergeAdapterIntoHostWeights(gguf.host, adapter)), TOL, 'rsLoRA k,o,down');
    expect(maxAbsDiff(actual, referenceLogits(gguf.config, gguf.host))).toBeGreaterThan(0.1);
  });

  it('a Q8_0 base: the weights stay quantized and the adapter still applies', async () => {
    const file = await readGguf(opened[0]);
    const tensors: GgufWriteTensor[] = [];
    for (const t of file.tensors) {
      const data = await readTensorBytes(file, t);
      const linear = /(attn_(q|k|v|output)|ffn_(gate|up|down))\.weight$/.test(t.name) && t.shape[1] % 32 === 0;
      tensors.push(linear ? { name: t.name, shape: t.shape, type: 'Q8_0', data: quantizeForTest('q8_0', floatBytesToF32(data, 'F32')) } : { name: t.name, shape: t.shape, type: t.type.name, data });
    }
    expect(tensors.filter((t) => t.type === 'Q8_0').length).toBeGreaterThan(20);
    const q8 = await openGgufModel(bytesSource(concatBytes(encodeGguf({ metadata: file.metadata.entries, tensors })), 'q8.gguf'));
    const b = await base('q8.gguf', q8.weights);
    const adapter = randomAdapter(b.config, { ...ADAPTER, seed: 13 });
    // The reference: the dequantized Q8_0 weights with the adapter merged in.
    assertClose(await gpuLogits(b, adapter), referenceLogits(b.config, mergeAdapterIntoHostWeights(b.host, adapter)), TOL, 'Q8_0 + LoRA');
  });
});

describe('one adapter, both bases, through the files', () => {
  it('an HF-layout adapter exported to PEFT gives the same logits on the GGUF base as on the HF base', async () => {
    const adapter = randomAdapter(hf.config, { ...ADAPTER, seed: 21, rowLayout: 'half' });
    const onHf = await gpuLogits(hf, adapter);
    const files = filesOf(exportPeft(adapter));
    const onGguf = await gpuLogits(gguf, await importPeft(files, { base: { config: gguf.config, name: gguf.name } }));
    // The two bases are the same model in two layouts: their own logits agree to float tolerance.
    assertClose(onGguf, onHf, TOL, 'PEFT adapter on GGUF base vs HF base');
    // Without the q/k permutation the adapter would mean something else on the GGUF base.
    const unpermuted = await gpuLogits(gguf, { ...adapter, rowLayout: 'interleaved' });
    expect(maxAbsDiff(unpermuted, onHf)).toBeGreaterThan(0.05);
  });

  it('a GGUF-trained adapter exported to GGUF LoRA and PEFT: either file loaded back gives the in-memory logits, on either base', async () => {
    const adapter = randomAdapter(gguf.config, { ...ADAPTER, seed: 22 });
    const inMemory = await gpuLogits(gguf, adapter);
    const ggufFile = bytesSource(concatBytes(exportGgufLora(adapter)), 'adapter.gguf');
    const fromGgufFile = await importGgufLora(ggufFile, { base: { config: gguf.config, name: gguf.name } });
    assertClose(await gpuLogits(gguf, fromGgufFile), inMemory, { atol: 1e-6, rtol: 0 }, 'adapter.gguf on GGUF base');
    const fromPeft = await importPeft(filesOf(exportPeft(adapter)), { base: { config: gguf.config, name: gguf.name } });
    assertClose(await gpuLogits(gguf, fromPeft), inMemory, { atol: 1e-6, rtol: 0 }, 'PEFT on GGUF base');
    // On the HF base the GGUF file's q/k rows are put back into rotate-half order.
    const onHf = await importGgufLora(ggufFile, { base: { config: hf.config, name: hf.name } });
    expect(onHf.rowLayout).toBe('half');
    assertClose(await gpuLogits(hf, onHf), inMemory, TOL, 'adapter.gguf on HF base');
    // adaptToBase does the same for an adapter already in memory.
    assertClose(await gpuLogits(hf, adaptToBase(adapter, hf.config, hf.name)), inMemory, TOL, 'adaptToBase on HF base');
  });

  it('setAdapter refuses an adapter of other sizes, and removing the adapter gives its scratch back', async () => {
    const ctx = await testContext();
    const up = await uploadModel(ctx, gguf.weights);
    const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxChunkTokens: 4 });
    const before = ctx.memory.inUseBytes;
    const adapter = uploadLoraAdapter(ctx, randomAdapter(gguf.config, { ...ADAPTER, targets: ['v'] }), 'interleaved');
    const layers = adapter.inference.layers;
    expect(() => model.setAdapter({ layers: layers.slice(1) })).toThrow('setAdapter: the adapter has 4 layers, the model 5');
    const swapped = { layers: layers.map((l) => ({ o: l.v })) }; // v's [32, 64] pair on o [64, 64]
    expect(() => model.setAdapter(swapped)).toThrow(/setAdapter: layer 0 'o' has A \[4,64\] and B \[32,4\], but the projection is \[64, 64\]/);
    const withAdapter = ctx.memory.inUseBytes;
    model.setAdapter(adapter.inference);
    expect(ctx.memory.inUseBytes).toBeGreaterThan(withAdapter); // the [T, r] scratch
    model.setAdapter(null);
    releaseLoraAdapter(ctx, adapter);
    expect(ctx.memory.inUseBytes).toBe(before);
    model.dispose();
    releaseModel(ctx, up);
  });

  it('refuses to upload an adapter whose q/k rows are in the other layout', async () => {
    const ctx = await testContext();
    const adapter = randomAdapter(gguf.config, { ...ADAPTER, rowLayout: 'half' });
    expect(() => uploadLoraAdapter(ctx, adapter, 'interleaved')).toThrow(/q\/k rows are in half order but the base uses interleaved/);
  });
});
