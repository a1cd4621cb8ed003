/**
 * DoRA adapters through PEFT's files (a LoRA config with use_dora, and every pair's lora_magnitude_vector [out]):
 * what the exporter writes, the round trip back, and the exported files applied to the Hugging Face stories260K by
 * a float64 forward whose DoRA is written here from the paper's formula — every adapted row of W replaced by
 * m_j·(W_j + s·B_j·A)/‖W_j + s·B_j·A‖, the model then run as a plain Llama (src/model's reference forward, which
 * knows no adapter) — giving the engine's greedy tokens (the engine applies it unmerged). The same file on the GGUF
 * base (interleaved q/k rows) gives the HF base's logits; merged into the weights (the merged-model export's
 * merge) it gives the unmerged adapter's greedy tokens; and what cannot be read is refused by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertClose } from '../gpu/testing/compare';
import { HOST_FIELDS, type HostWeights, referenceForward } from '../model/reference-forward';
import { readSafetensors, readSafetensorsTensorBytes } from '../model/safetensors/reader';
import { encodeSafetensors } from '../model/safetensors/writer';
import { bytesSource, concatBytes } from '../model/source';
import { exportGgufLora } from './gguf-lora';
import { adapterScale, type LoraAdapter } from './lora-weights';
import { mergeAdapterIntoHostWeights } from './merge';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, exportPeft, importPeft } from './peft';
import { GREEDY_PROMPT, greedyEngine, greedyReference, openStoriesBases, type TestBase } from './greedy-testing';
import { filesOf, randomAdapter } from './test-adapter';

const TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
let bases: Awaited<ReturnType<typeof openStoriesBases>>;
let hf: TestBase;
let gguf: TestBase;

beforeAll(async () => {
  bases = await openStoriesBases();
  ({ hf, gguf } = bases);
});
afterAll(() => bases.close());

const dora = (seed: number): LoraAdapter => randomAdapter(hf.config, { seed, useDora: true, r: 2, alpha: 4, bScale: 0.2 });

/** DoRA by its formula on copies of the weights: row j of W becomes m_j·(W_j + s·(B·A)_j)/‖W_j + s·(B·A)_j‖. */
function doraByFormula(host: HostWeights, adapter: LoraAdapter): HostWeights {
  const s = adapterScale(adapter.config);
  const layers = host.layers.map((l, i) => {
    const out = { ...l };
    for (const t of adapter.config.targets) {
      const { a, b, magnitude, inFeatures: n, outFeatures: rows } = adapter.layers[i][t]!;
      const r = adapter.config.r;
      const w = Float64Array.from(l[HOST_FIELDS[t]]);
      for (let j = 0; j < rows; j++) {
        for (let c = 0; c < n; c++) {
          let ba = 0;
          for (let k = 0; k < r; k++) ba += b[j * r + k] * a[k * n + c];
          w[j * n + c] += s * ba;
        }
        const row = w.subarray(j * n, (j + 1) * n);
        const norm = Math.sqrt(row.reduce((sum, x) => sum + x * x, 0));
        row.forEach((x, c) => (row[c] = (magnitude![j] * x) / norm));
      }
      out[HOST_FIELDS[t]] = Float32Array.from(w);
    }
    return out;
  });
  return { ...host, layers };
}



describe('DoRA in PEFT files', () => {
  it('writes what PEFT writes: peft_type LORA with use_dora, lora_magnitude_vector of [out] beside A and B; reads it back', async () => {
    const adapter = dora(1);
    const files = exportPeft(adapter);
    const config = JSON.parse(new TextDecoder().decode(concatBytes(files[PEFT_CONFIG_FILE])));
    expect(config).toMatchObject({ peft_type: 'LORA', use_dora: true, r: 2, lora_alpha: 4 });
    const tensors = (await readSafetensors(bytesSource(concatBytes(files[PEFT_WEIGHTS_FILE]), PEFT_WEIGHTS_FILE))).tensors;
    const shapes = Object.fromEntries(tensors.map((t) => [t.name, t.shape]));
    expect(shapes['base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector']).toEqual([64]);
    expect(shapes['base_model.model.model.layers.4.self_attn.k_proj.lora_magnitude_vector']).toEqual([32]);
    expect(shapes['base_model.model.model.layers.2.mlp.up_proj.lora_magnitude_vector']).toEqual([172]);
    expect(shapes['base_model.model.model.layers.2.mlp.down_proj.lora_magnitude_vector']).toEqual([64]);
    expect(tensors).toHaveLength(3 * TARGETS.length * hf.config.numLayers);
    const back = await importPeft(filesOf(files));
    expect(back.config.useDora).toBe(true);
    back.layers.forEach((layer, i) => {
      for (const t of TARGETS) expect(layer[t]!.magnitude, `layer ${i} ${t}`).toEqual(adapter.layers[i][t]!.magnitude);
    });
    // Plain LoRA files say use_dora false and hold no magnitude.
    const plain = exportPeft(randomAdapter(hf.config, { seed: 1 }));
    expect(JSON.parse(new TextDecoder().decode(concatBytes(plain[PEFT_CONFIG_FILE]))).use_dora).toBe(false);
  });

  it("the exported files on the HF stories260K: a float64 forward with DoRA from its formula gives the engine's greedy tokens", async () => {
    const files = filesOf(exportPeft(dora(2)));
    const engine = await greedyEngine(hf, await importPeft(files, { base: { config: hf.config, name: 'hf' } }));
    const reference = greedyReference(hf.config, doraByFormula(hf.host, await importPeft(files)));
    expect(engine.tokens).toEqual(reference);
    // The adapter matters: the base alone decodes otherwise.
    expect(greedyReference(hf.config, hf.host)).not.toEqual(reference);
  }, 600_000);

  it("the same file on the GGUF base (interleaved q/k rows) gives the HF base's logits", async () => {
    const files = filesOf(exportPeft(dora(3)));
    const onHf = await greedyEngine(hf, await importPeft(files, { base: { config: hf.config, name: 'hf' } }));
    const onGguf = await greedyEngine(gguf, await importPeft(files, { base: { config: gguf.config, name: 'gguf' } }));
    assertClose(onGguf.logits, onHf.logits, { atol: 2e-4, rtol: 1e-3 }, 'DoRA on GGUF base vs HF base');
    expect(onGguf.tokens).toEqual(onHf.tokens);
  }, 600_000);

  it("merged into the weights (the merged-model export's merge), greedy decoding gives the unmerged adapter's tokens, on either base", async () => {
    const files = filesOf(exportPeft(dora(5)));
    for (const b of [hf, gguf]) {
      const fitted = await importPeft(files, { base: { config: b.config, name: 'base' } });
      const unmerged = await greedyEngine(b, fitted);
      const merged = mergeAdapterIntoHostWeights(b.host, fitted);
      expect(greedyReference(b.config, merged), `merged vs unmerged (${b.config.ropeLayout})`).toEqual(unmerged.tokens);
      const logits = referenceForward(b.config, merged, GREEDY_PROMPT);
      const last = logits.subarray((GREEDY_PROMPT.length - 1) * b.config.vocabSize, GREEDY_PROMPT.length * b.config.vocabSize);
      assertClose(unmerged.logits, last, { atol: 2e-4, rtol: 1e-3 }, `merged vs unmerged logits (${b.config.ropeLayout})`);
    }
  }, 600_000);

  it('refuses a magnitude without use_dora, use_dora without magnitudes, a magnitude of the wrong size, and a GGUF LoRA export', async () => {
    const adapter = dora(4);
    const files = exportPeft(adapter);
    const configText = new TextDecoder().decode(concatBytes(files[PEFT_CONFIG_FILE]));
    const withConfig = (useDora: boolean, weights: Uint8Array[]) =>
      filesOf({ [PEFT_CONFIG_FILE]: [new TextEncoder().encode(configText.replace(/"use_dora": true/, `"use_dora": ${useDora}`))], [PEFT_WEIGHTS_FILE]: weights });
    await expect(importPeft(withConfig(false, files[PEFT_WEIGHTS_FILE]))).rejects.toThrow(
      /tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector' is a DoRA magnitude, but the adapter's config does not say use_dora/,
    );
    const plainWeights = exportPeft(randomAdapter(hf.config, { seed: 4, r: 2, alpha: 4 }))[PEFT_WEIGHTS_FILE];
    await expect(importPeft(withConfig(true, plainWeights))).rejects.toThrow(
      /tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector' is missing \(a DoRA adapter has a magnitude for every pair\)/,
    );
    // PEFT's in-memory name (…lora_magnitude_vector.weight) is read too; a magnitude of the wrong size is refused.
    const file = await readSafetensors(bytesSource(concatBytes(files[PEFT_WEIGHTS_FILE]), PEFT_WEIGHTS_FILE));
    const rewritten = async (rename: (name: string) => string, shrink: boolean) => {
      const tensors = [];
      for (const t of file.tensors) {
        let data = await readSafetensorsTensorBytes(file, t);
        let shape = t.shape;
        if (shrink && t.name === 'base_model.model.model.layers.1.mlp.gate_proj.lora_magnitude_vector') [data, shape] = [data.subarray(4), [t.shape[0] - 1]];
        tensors.push({ name: rename(t.name), dtype: 'F32' as const, shape, data });
      }
      return filesOf({ [PEFT_CONFIG_FILE]: files[PEFT_CONFIG_FILE], [PEFT_WEIGHTS_FILE]: encodeSafetensors(tensors) });
    };
    const suffixed = await importPeft(await rewritten((n) => n.replace(/lora_magnitude_vector$/, 'lora_magnitude_vector.weight'), false));
    expect(suffixed.layers[3].o!.magnitude).toEqual(adapter.layers[3].o!.magnitude);
    await expect(importPeft(await rewritten((n) => n, true))).rejects.toThrow(
      /tensor 'base_model.model.model.layers.1.mlp.gate_proj.lora_magnitude_vector' has shape \[171\], expected \[172\]/,
    );
    expect(() => exportGgufLora(adapter)).toThrow(/a DoRA adapter has no llama.cpp LoRA form; export the merged model as GGUF instead/);
  });
});
