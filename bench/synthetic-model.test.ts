/**
 * The benchmarks' synthetic models are real models to the engine: SmolLM2-135M's shapes from its config.json,
 * deterministic values, quantized linears that upload quantized, and a GPU forward equal to the CPU reference.
 */
import { describe, expect, it } from 'vitest';
import { LlamaModel } from '../src/gpu/model/llama';
import { releaseModel, uploadModel } from '../src/gpu/model/upload';
import { assertClose } from '../src/gpu/testing/compare';
import { testContext } from '../src/gpu/testing/gpu';
import type { ModelConfig } from '../src/model/config';
import { readHostWeights } from '../src/model/host-weights';
import { referenceForward } from '../src/model/reference-forward';
import {
  parameterCount,
  readHfConfig,
  SMOLLM2_135M_CONFIG,
  syntheticModelWeights,
  withQuantizedLinears,
} from './synthetic-model';

/** SmolLM2-135M's config, shrunk to a test size but keeping its architecture (tied, GQA 3:1). */
async function smallSmol(): Promise<ModelConfig> {
  const c = await readHfConfig(SMOLLM2_135M_CONFIG);
  return { ...c, hiddenSize: 96, numHeads: 3, numKvHeads: 1, headDim: 32, intermediateSize: 64, numLayers: 2, vocabSize: 80, contextLength: 32 };
}

// The forward compiles every pipeline of a model: minutes on SwiftShader when the machine is busy.
describe('synthetic models', { timeout: 600_000 }, () => {
  it("SmolLM2-135M's exact shapes: 30 layers, 9 / 3 heads, tied, 134,515,008 parameters", async () => {
    const c = await readHfConfig(SMOLLM2_135M_CONFIG);
    expect([c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.intermediateSize, c.vocabSize, c.tiedEmbeddings]).toEqual([
      576, 30, 9, 3, 1536, 49152, true,
    ]);
    expect(parameterCount(c)).toBe(134_515_008);
    const weights = syntheticModelWeights(c);
    expect(weights.tensors.size).toBe(2 + 30 * 9);
    expect(weights.tensors.has('output')).toBe(false);
    const q4 = withQuantizedLinears(weights, 'Q4_0');
    // 18 bytes per 32 weights for every projection; norms and the embedding stay F32.
    expect(q4.tensors.get('layers.0.ffn_down')!).toMatchObject({ dtype: 'Q4_0', byteSize: (576 * 1536 * 18) / 32 });
    expect(q4.tensors.get('token_embd')!.dtype).toBe('F32');
  });

  it('values are deterministic per seed, with the asked standard deviation, norms at 1', async () => {
    const c = await smallSmol();
    const read = async (seed: number, key: string) =>
      new Float32Array((await syntheticModelWeights(c, { seed, std: 0.05 }).tensors.get(key)!.read()).slice().buffer);
    const a = await read(1, 'layers.1.ffn_up');
    expect(await read(1, 'layers.1.ffn_up')).toEqual(a);
    expect(await read(2, 'layers.1.ffn_up')).not.toEqual(a);
    expect(await read(1, 'layers.0.ffn_up')).not.toEqual(a);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(std).toBeGreaterThan(0.047);
    expect(std).toBeLessThan(0.053);
    expect(Array.from(await read(1, 'layers.0.attn_norm'))).toEqual(new Array(96).fill(1));
  });

  it.each(['F32', 'Q8_0', 'Q4_0'] as const)('%s: uploads (quantized stays quantized) and matches the CPU reference', async (type) => {
    const ctx = await testContext();
    const c = await smallSmol();
    const weights = withQuantizedLinears(syntheticModelWeights(c, { seed: 5, std: 0.1 }), type);
    const up = await uploadModel(ctx, weights);
    const linear = up.weights.layers[0].q.weight;
    expect('format' in linear ? linear.format : 'f32').toBe(type === 'F32' ? 'f32' : type.toLowerCase());
    const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq });
    const tokens = [1, 17, 79, 4, 33, 33];
    const ref = referenceForward(c, await readHostWeights(c, weights), tokens); // quantized linears dequantized
    assertClose(await model.forward(tokens, 0), ref.subarray((tokens.length - 1) * c.vocabSize), { atol: 2e-4, rtol: 1e-3 }, type);
    model.dispose();
    releaseModel(ctx, up);
  });
});
