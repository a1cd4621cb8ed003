/**
 * Prompt-tuning adapters through PEFT's files (peft_type PROMPT_TUNING, one `prompt_embeddings` [P, C] tensor): what
 * the exporter writes, the round trip back, and the exported files applied to the Hugging Face stories260K by a
 * float64 forward that knows no adapter — prompt tuning written here from its definition (Lester et al. 2021): P
 * new tokens whose embeddings are the prompt's rows, put before the prompt, their ids never predicted — giving the
 * engine's greedy tokens. The GGUF base gives the HF base's logits; what cannot be read, or fit, is refused by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaModel } from '../gpu/model/llama';
import { releaseModel, uploadModel } from '../gpu/model/upload';
import { assertClose } from '../gpu/testing/compare';
import { testContext } from '../gpu/testing/gpu';
import { mulberry32 } from '../gpu/testing/random';
import type { ModelConfig } from '../model/config';
import { fixtureHfFolder, syntheticConfig } from '../model/fixtures';
import { readHfFolder } from '../model/hf/folder';
import { type HostWeights, referenceForward } from '../model/reference-forward';
import { readSafetensors } from '../model/safetensors/reader';
import { encodeSafetensors } from '../model/safetensors/writer';
import { bytesSource, concatBytes } from '../model/source';
import { mergedSafetensors } from '../export/hf-folder';
import { promptAdapterFromTrainer } from './from-trainer';
import { releaseLoraAdapter, uploadPromptAdapter } from './gpu-adapter';
import { GREEDY_PROMPT, greedyEngine, greedyReference, openStoriesBases, type TestBase } from './greedy-testing';
import { importAnyAdapter } from './import';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from './peft';
import { exportPeftPrompt, importPeftPrompt, PROMPT_TENSOR } from './peft-prompt';
import { PROMPT_CANNOT_MERGE, type PromptAdapter } from './prompt-weights';
import { filesOf } from './test-adapter';

const P = 6;
let bases: Awaited<ReturnType<typeof openStoriesBases>>;
let hf: TestBase;
let gguf: TestBase;

beforeAll(async () => {
  bases = await openStoriesBases();
  ({ hf, gguf } = bases);
});
afterAll(() => bases.close());

/** A prompt far from any real token's embedding (a few times their scale), so that it changes the continuation. */
function prompt(seed: number): PromptAdapter {
  const next = mulberry32(seed);
  const c = hf.config.hiddenSize;
  const rows = Float32Array.from({ length: P * c }, (_, i) => {
    const token = 3 + ((i / c) | 0) * 37;
    return hf.host.tokenEmbedding[token * c + (i % c)] * (2 + 2 * next()) + (next() - 0.5) * 2;
  });
  return promptAdapterFromTrainer({ virtualTokens: P, init: 'TEXT', text: 'Once upon a time' }, { config: hf.config, name: 'stories260K' }, rows);
}

/**
 * Prompt tuning by its definition, for a model that knows no adapter: the vocabulary grows by P tokens whose
 * embedding rows are the prompt's (the tied head grows with them; their logits are never picked), and they are
 * fed before the prompt.
 */
function withVirtualTokens(config: ModelConfig, host: HostWeights, adapter: PromptAdapter) {
  const v = config.vocabSize;
  const table = new Float32Array((v + P) * config.hiddenSize);
  table.set(host.tokenEmbedding);
  table.set(adapter.embeddings, v * config.hiddenSize);
  const output = host.output && Float32Array.from({ length: table.length }, (_, i) => host.output![i] ?? 0);
  return {
    config: { ...config, vocabSize: v + P },
    host: { ...host, tokenEmbedding: table, ...(output ? { output } : {}) },
    prefix: Array.from({ length: P }, (_, i) => v + i),
  };
}

describe('prompt tuning in PEFT files', () => {
  it('writes what PEFT writes: peft_type PROMPT_TUNING, num_virtual_tokens, token_dim and one prompt_embeddings [P, C]; reads it back', async () => {
    const adapter = prompt(1);
    const files = exportPeftPrompt(adapter);
    const config = JSON.parse(new TextDecoder().decode(concatBytes(files[PEFT_CONFIG_FILE])));
    expect(config).toEqual({
      auto_mapping: null,
      base_model_name_or_path: 'stories260K',
      inference_mode: true,
      num_attention_heads: 8,
      num_layers: 5,
      num_transformer_submodules: 1,
      num_virtual_tokens: P,
      peft_type: 'PROMPT_TUNING',
      prompt_tuning_init: 'TEXT',
      prompt_tuning_init_text: 'Once upon a time',
      revision: null,
      task_type: 'CAUSAL_LM',
      token_dim: 64,
      tokenizer_kwargs: null,
      tokenizer_name_or_path: 'stories260K',
    });
    const tensors = (await readSafetensors(bytesSource(concatBytes(files[PEFT_WEIGHTS_FILE]), PEFT_WEIGHTS_FILE))).tensors;
    expect(tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([[PROMPT_TENSOR, 'F32', [P, 64]]]);
    const back = await importPeftPrompt(filesOf(files));
    expect(back).toEqual(adapter);
    const any = await importAnyAdapter(filesOf(files), 'prompt folder', { base: { config: hf.config, name: 'hf' } });
    expect(any.adapter).toEqual(adapter);
  });

  it('applied to the HF stories260K, gives the greedy tokens of a float64 model whose vocabulary holds the virtual tokens', async () => {
    const files = exportPeftPrompt(prompt(2));
    const imported = await importPeftPrompt(filesOf(files), { base: { config: hf.config, name: 'hf' } });
    const engine = await greedyEngine(hf, imported);
    const byDefinition = withVirtualTokens(hf.config, hf.host, await importPeftPrompt(filesOf(files)));
    const reference = greedyReference(byDefinition.config, byDefinition.host, { prefix: byDefinition.prefix, vocab: hf.config.vocabSize });
    expect(engine.tokens).toEqual(reference);
    // The first logits too, against the reference's; and the prompt moves them away from the base's.
    const v = hf.config.vocabSize;
    const lastOf = (config: ModelConfig, host: HostWeights, tokens: number[]) =>
      referenceForward(config, host, tokens).slice((tokens.length - 1) * config.vocabSize, (tokens.length - 1) * config.vocabSize + v);
    const first = lastOf(byDefinition.config, byDefinition.host, [...byDefinition.prefix, ...GREEDY_PROMPT]);
    assertClose(engine.logits, first, { atol: 1e-3, rtol: 1e-3 }, 'engine vs float64 prompt tuning, first logits');
    const base = lastOf(hf.config, hf.host, GREEDY_PROMPT);
    expect(Math.max(...first.map((x, i) => Math.abs(x - base[i])))).toBeGreaterThan(0.1);
    // The GGUF base (interleaved q/k rows) is the same model: the same prompt gives the same logits.
    const onGguf = await greedyEngine(gguf, await importPeftPrompt(filesOf(files), { base: { config: gguf.config, name: 'gguf' } }));
    assertClose(onGguf.logits, engine.logits, { atol: 1e-4, rtol: 1e-4 }, 'GGUF vs HF base, same prompt');
  });

  it('refuses what it cannot read or fit, naming the field or file', async () => {
    const files = exportPeftPrompt(prompt(3));
    const json = JSON.parse(new TextDecoder().decode(concatBytes(files[PEFT_CONFIG_FILE])));
    const withConfig = (patch: Record<string, unknown>) =>
      new Map([...filesOf(files)].map(([n, s]) => [n, n === PEFT_CONFIG_FILE ? bytesSource(new TextEncoder().encode(JSON.stringify({ ...json, ...patch })), n) : s]));
    await expect(importPeftPrompt(withConfig({ peft_type: 'PREFIX_TUNING' }))).rejects.toThrow(/peft_type "PREFIX_TUNING" is not PROMPT_TUNING/);
    await expect(importAnyAdapter(withConfig({ peft_type: 'PREFIX_TUNING' }), 'x')).rejects.toThrow(/PREFIX_TUNING/);
    await expect(importPeftPrompt(withConfig({ num_transformer_submodules: 2 }))).rejects.toThrow(/num_transformer_submodules is 2/);
    await expect(importPeftPrompt(withConfig({ task_type: 'SEQ_2_SEQ_LM' }))).rejects.toThrow(/task_type "SEQ_2_SEQ_LM" is not supported/);
    await expect(importPeftPrompt(withConfig({ num_virtual_tokens: P + 1 }))).rejects.toThrow(
      new RegExp(`'${PROMPT_TENSOR}' has shape \\[${P}, 64\\], but the config says \\[${P + 1}, 64\\]`),
    );
    await expect(importPeftPrompt(withConfig({ prompt_tuning_init: 'ZEROS' }))).rejects.toThrow(/prompt_tuning_init "ZEROS" is not one of TEXT/);
    const extra = encodeSafetensors([
      { name: PROMPT_TENSOR, dtype: 'F32', shape: [P, 64], data: new Uint8Array(P * 64 * 4) },
      { name: 'base_model.model.lm_head.weight', dtype: 'F32', shape: [1, 64], data: new Uint8Array(256) },
    ]);
    await expect(importPeftPrompt(filesOf({ ...files, [PEFT_WEIGHTS_FILE]: extra }))).rejects.toThrow(/'base_model.model.lm_head.weight' is not part of a prompt-tuning adapter/);
    // Another embedding width: a base of hidden size 32 cannot take 64-wide virtual tokens.
    const narrow = syntheticConfig();
    await expect(importPeftPrompt(filesOf(files), { base: { config: narrow, name: 'narrow' } })).rejects.toThrow(
      /has 64-wide virtual tokens; base 'narrow' embeds tokens 32 wide/,
    );
    // No merge: the library's merged-model export says why.
    await expect(mergedSafetensors(hf, prompt(3), 'f32', { baseName: 'hf', adapterName: 'p' })).rejects.toThrow(PROMPT_CANNOT_MERGE);
  });

  it('is refused by a model whose context the virtual tokens would fill, or of another width', async () => {
    const ctx = await testContext();
    const up = await uploadModel(ctx, hf.weights);
    const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxContext: P });
    const gpu = uploadPromptAdapter(ctx, prompt(4), hf.config.numLayers);
    expect(() => model.setAdapter(gpu.inference)).toThrow(`setAdapter: the prompt's ${P} virtual tokens leave no room in a context of ${P}`);
    model.dispose();
    releaseLoraAdapter(ctx, gpu);
    releaseModel(ctx, up);
    const { weights } = await readHfFolder(fixtureHfFolder(syntheticConfig({ numLayers: 5 }), { seed: 1 }), 'narrow');
    const narrow = await uploadModel(ctx, weights);
    const other = new LlamaModel(ctx, narrow.config, narrow.weights, { invFreq: narrow.invFreq, maxContext: 16 });
    const wide = uploadPromptAdapter(ctx, prompt(4), 5);
    expect(() => other.setAdapter(wide.inference)).toThrow("setAdapter: the prompt's embeddings are 64 wide, the model's 32");
    other.dispose();
    releaseLoraAdapter(ctx, wide);
    releaseModel(ctx, narrow);
  });
});
