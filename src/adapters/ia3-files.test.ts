/**
 * IA³ adapters through PEFT's files: what the exporter writes (config keys and tensor names, shapes [out, 1] and
 * [1, in] as PEFT's IA3Layer makes them), the round trip back, and the exported files applied to the Hugging
 * Face stories260K by a float64 forward whose IA³ is written here from the method's formulas — W's rows scaled by
 * l on an output side, its columns on an input side, the model then run as a plain Llama (src/model's
 * reference forward, which knows no adapter) — giving the engine's greedy tokens. The same file on the GGUF base
 * (interleaved q/k rows) gives the HF base's logits: the k vector is permuted with the rows it scales.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertClose } from '../gpu/testing/compare';
import { mulberry32 } from '../gpu/testing/random';
import type { ModelConfig } from '../model/config';
import { readHostWeights } from '../model/host-weights';
import { IA3_DEFAULT, type LoraTarget } from '../model/lora-targets';
import { type HostWeights, referenceForward } from '../model/reference-forward';
import { readSafetensors } from '../model/safetensors/reader';
import { bytesSource, concatBytes } from '../model/source';
import { ia3AdapterFromTrainer } from './from-trainer';
import { mergeIa3IntoHostWeights } from './merge';
import type { Ia3Adapter } from './ia3-weights';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from './peft';
import { exportPeftIa3, importPeftIa3 } from './peft-ia3';
import { GREEDY_PROMPT, greedyEngine, greedyReference, openStoriesBases, type TestBase } from './greedy-testing';
import { filesOf } from './test-adapter';

let bases: Awaited<ReturnType<typeof openStoriesBases>>;
let hf: TestBase;
let gguf: TestBase;

beforeAll(async () => {
  bases = await openStoriesBases();
  ({ hf, gguf } = bases);
});
afterAll(() => bases.close());

/** Vectors around 1 (0.4 .. 1.6), far enough from the base to change its greedy tokens. */
function randomIa3(config: ModelConfig, seed: number): Ia3Adapter {
  const next = mulberry32(seed);
  const width = (t: LoraTarget) => (t === 'down' ? config.intermediateSize : config.numKvHeads * config.headDim);
  const vectors = Array.from({ length: config.numLayers }, (_, layer) =>
    IA3_DEFAULT.targets.map((target) => ({ layer, target, l: Float32Array.from({ length: width(target) }, () => 0.4 + 1.2 * next()) })),
  ).flat();
  return ia3AdapterFromTrainer(IA3_DEFAULT, { config, name: 'stories260K' }, vectors);
}

/** IA³ merged by its formulas into copies of the weights: rows of Wk and Wv, columns of Wdown (stories260K has no biases). */
function mergedByFormula(host: HostWeights, adapter: Ia3Adapter): HostWeights {
  const layers = host.layers.map((l, i) => {
    const v = adapter.layers[i];
    const rows = (w: Float32Array, s: Float32Array) => w.map((x, j) => x * s[Math.floor(j / (w.length / s.length))]);
    const cols = (w: Float32Array, s: Float32Array) => w.map((x, j) => x * s[j % s.length]);
    return { ...l, wk: rows(l.wk, v.k!), wv: rows(l.wv, v.v!), wDown: cols(l.wDown, v.down!) };
  });
  return { ...host, layers };
}



describe('IA³ in PEFT files', () => {
  it('writes what PEFT writes: peft_type IA3, target and feed-forward modules, ia3_l of [out, 1] and [1, in]; reads it back', async () => {
    const adapter = randomIa3(hf.config, 1);
    const files = exportPeftIa3(adapter, hf.config);
    const config = JSON.parse(new TextDecoder().decode(concatBytes(files[PEFT_CONFIG_FILE])));
    expect(config).toMatchObject({
      peft_type: 'IA3',
      task_type: 'CAUSAL_LM',
      target_modules: ['k_proj', 'v_proj', 'down_proj'],
      feedforward_modules: ['down_proj'],
      init_ia3_weights: true,
      fan_in_fan_out: false,
    });
    const tensors = (await readSafetensors(bytesSource(concatBytes(files[PEFT_WEIGHTS_FILE]), PEFT_WEIGHTS_FILE))).tensors;
    const shapes = Object.fromEntries(tensors.map((t) => [t.name, t.shape]));
    expect(shapes['base_model.model.model.layers.0.self_attn.k_proj.ia3_l']).toEqual([32, 1]);
    expect(shapes['base_model.model.model.layers.4.self_attn.v_proj.ia3_l']).toEqual([32, 1]);
    expect(shapes['base_model.model.model.layers.2.mlp.down_proj.ia3_l']).toEqual([1, 172]);
    expect(tensors).toHaveLength(3 * hf.config.numLayers);
    const back = await importPeftIa3(filesOf(files));
    expect(back.config.targets).toEqual(['k', 'v', 'down']);
    expect(back.config.feedforward).toEqual(['down']);
    back.layers.forEach((layer, i) => {
      for (const t of ['k', 'v', 'down'] as const) expect(layer[t], `layer ${i} ${t}`).toEqual(adapter.layers[i][t]);
    });
  });

  it("the exported files on the HF stories260K: a float64 forward with IA³ from its formulas gives the engine's greedy tokens", async () => {
    const adapter = randomIa3(hf.config, 2);
    const files = filesOf(exportPeftIa3(adapter, hf.config));
    const imported = await importPeftIa3(files, { base: { config: hf.config, name: 'hf' } });
    const engine = await greedyEngine(hf, imported);
    const reference = greedyReference(hf.config, mergedByFormula(hf.host, await importPeftIa3(files)));
    expect(engine.tokens).toEqual(reference);
    // The vectors matter: the base alone decodes otherwise.
    expect(greedyReference(hf.config, hf.host)).not.toEqual(reference);
  }, 600_000);

  it("the same file on the GGUF base (interleaved q/k rows) gives the HF base's logits", async () => {
    const adapter = randomIa3(hf.config, 3);
    const files = filesOf(exportPeftIa3(adapter, hf.config));
    const onHf = await greedyEngine(hf, await importPeftIa3(files, { base: { config: hf.config, name: 'hf' } }));
    const onGguf = await greedyEngine(gguf, await importPeftIa3(files, { base: { config: gguf.config, name: 'gguf' } }));
    assertClose(onGguf.logits, onHf.logits, { atol: 2e-4, rtol: 1e-3 }, 'IA³ on GGUF base vs HF base');
    expect(onGguf.tokens).toEqual(onHf.tokens);
    // Without the permutation the k vector would scale the wrong rows.
    const unpermuted = await greedyEngine(gguf, { ...(await importPeftIa3(files)), rowLayout: 'interleaved' });
    expect(Math.max(...unpermuted.logits.map((x, i) => Math.abs(x - onHf.logits[i])))).toBeGreaterThan(1e-3);
  }, 600_000);

  it("merged into the weights (PEFT's IA3 merge), the plain model gives the unmerged adapter's logits, on either base", async () => {
    const adapter = randomIa3(hf.config, 5);
    const files = filesOf(exportPeftIa3(adapter, hf.config));
    for (const b of [hf, { ...gguf, host: await readHostWeights(gguf.config, gguf.weights) }]) {
      const fitted = await importPeftIa3(files, { base: { config: b.config, name: 'base' } });
      const unmerged = await greedyEngine(b, fitted);
      const merged = referenceForward(b.config, mergeIa3IntoHostWeights(b.host, fitted), GREEDY_PROMPT);
      const last = merged.subarray((GREEDY_PROMPT.length - 1) * b.config.vocabSize, GREEDY_PROMPT.length * b.config.vocabSize);
      assertClose(unmerged.logits, last, { atol: 2e-4, rtol: 1e-3 }, `merged vs unmerged (${b.config.ropeLayout})`);
    }
  }, 600_000);

  it('refuses what it cannot read, naming the file and the field', async () => {
    const files = exportPeftIa3(randomIa3(hf.config, 4), hf.config);
    const withConfig = (change: (c: Record<string, unknown>) => void) => {
      const c = JSON.parse(new TextDecoder().decode(concatBytes(files[PEFT_CONFIG_FILE])));
      change(c);
      return filesOf({ [PEFT_CONFIG_FILE]: [new TextEncoder().encode(JSON.stringify(c))], [PEFT_WEIGHTS_FILE]: files[PEFT_WEIGHTS_FILE] });
    };
    await expect(importPeftIa3(withConfig((c) => (c.peft_type = 'LORA')))).rejects.toThrow(/adapter_config.json: peft_type "LORA" is not IA3/);
    await expect(importPeftIa3(withConfig((c) => (c.feedforward_modules = ['up_proj'])))).rejects.toThrow(
      /feedforward module 'up_proj' is not among target_modules/,
    );
    await expect(importPeftIa3(withConfig((c) => (c.target_modules = ['k_proj', 'lm_head'])))).rejects.toThrow(/target_modules entry "lm_head" is not supported/);
    // down_proj treated as an output-side module: its [1, in] tensor has the wrong shape for that.
    await expect(importPeftIa3(withConfig((c) => (c.feedforward_modules = [])))).rejects.toThrow(
      /tensor 'base_model.model.model.layers.0.mlp.down_proj.ia3_l' has shape \[1, 172\], expected \[out, 1\]/,
    );
    const other = { ...hf.config, numLayers: 4 };
    await expect(importPeftIa3(filesOf(files), { base: { config: other, name: 'four-layer' } })).rejects.toThrow(/has 5 layers; base 'four-layer' has 4/);
  });
});
