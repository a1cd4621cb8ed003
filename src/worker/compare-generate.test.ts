/**
 * A comparison's columns on a real WebGPU device: the base and a LoRA adapter in one batched pass (their tokens
 * interleaved), a DoRA adapter in a pass of its own; every column's text is that of a single model with the
 * adapter attached (as `webtune generate --adapter` attaches it), with the same seeded sampling; the adapters'
 * buffers are given back afterwards, and a stop ends the batch's columns where they are and skips the rest.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptToBase } from '../adapters/fit';
import { uploadLoraAdapter } from '../adapters/gpu-adapter';
import type { LoraAdapter } from '../adapters/lora-weights';
import { randomAdapter } from '../adapters/test-adapter';
import { generate } from '../generate/generate';
import type { GpuContext } from '../gpu/context';
import { LlamaModel } from '../gpu/model/llama';
import { releaseModel, uploadModel } from '../gpu/model/upload';
import { testContext } from '../gpu/testing/gpu';
import { loadModelFromPath } from '../model/load-node';
import { generateColumns } from './compare-generate';
import { ModelSession } from './model-session';
import type { EngineEvent, EventOf, RequestMessage } from './protocol';

const MODEL = 'public/models/stories260K/stories260K.gguf';
const PROMPT = 'Once upon a time';

let ctx: GpuContext;
let session: ModelSession;
let adapter: LoraAdapter;
let dora: LoraAdapter;

function request(columns: number): RequestMessage<'compare-generate'> {
  return {
    kind: 'compare-generate',
    id: 7,
    settings: {
      prompt: PROMPT,
      chat: false,
      maxTokens: 12,
      sampling: { greedy: false, temperature: 0.9, topK: 40, topP: 0.95, repetitionPenalty: 1, seed: 11 },
    },
    columns: [{ adapterId: null, label: 'Base' }, ...Array.from({ length: columns - 1 }, (_, i) => ({ adapterId: `a${i}`, label: `A${i}` }))],
  };
}

beforeAll(async () => {
  ctx = await testContext();
  session = await ModelSession.create(ctx, await loadModelFromPath(MODEL), 0);
  adapter = adaptToBase(randomAdapter(session.files.config, { seed: 3, bScale: 0.05 }), session.files.config, session.summary.name);
  dora = adaptToBase(randomAdapter(session.files.config, { seed: 4, bScale: 0.05, useDora: true }), session.files.config, session.summary.name);
});

describe('compare columns', () => {
  it('generates the base and the adapters with the same seeded sampling, as the CLI path does, and frees the adapters', async () => {
    // A first run lets the model and context make the buffers they create on first use; later runs must add none.
    await generateColumns(ctx, session, [null, adapter, dora], request(3), new AbortController().signal, () => {});
    const before = ctx.arena.stats.inUseBytes;
    const events: EventOf<'compare-generate'>[] = [];
    const post = (m: EngineEvent) => {
      if (m.kind === 'compare-token' || m.kind === 'compare-column-done') events.push(m);
    };
    const run = await generateColumns(ctx, session, [null, adapter, dora], request(3), new AbortController().signal, post);
    expect(run.stopped).toBe(false);
    const [base, adapted, dorad] = run.columns.map((c) => (c.status === 'done' ? c.outcome.text : `not done: ${c.status}`));
    expect(new Set([base, adapted, dorad]).size).toBe(3);
    // One adapter's pairs in the slots: r·(in + out) floats per projection, and a table per projection.
    const c = session.files.config;
    const [C, F, q, kv] = [c.hiddenSize, c.intermediateSize, c.numHeads * c.headDim, c.numKvHeads * c.headDim];
    const inPlusOut = [C + q, C + kv, C + kv, q + C, C + F, C + F, F + C];
    const slotBytes = c.numLayers * inPlusOut.reduce((s, w) => s + 4 * w * 4 + 8 * 4 * 4, 0);
    expect(run.columns.map((col) => (col.status === 'done' ? col.pass : null))).toEqual([
      { kind: 'batched', columns: 2, slotBytes },
      { kind: 'batched', columns: 2, slotBytes },
      { kind: 'own', reason: 'DoRA needs its own adapted weights' },
    ]);
    expect(ctx.arena.stats.inUseBytes).toBe(before);

    // The CLI's way: a fresh model with the adapter uploaded and attached, the same prompt and sampling.
    const files = session.files;
    const uploaded = await uploadModel(ctx, files.weights);
    const model = new LlamaModel(ctx, uploaded.config, uploaded.weights, { invFreq: uploaded.invFreq });
    try {
      const ids = files.tokenizer.encode(PROMPT);
      const sampling = { ...request(2).settings.sampling, maxTokens: 12 };
      expect((await generate(model, files.tokenizer, ids, sampling, () => {})).text).toBe(base);
      model.setAdapter(uploadLoraAdapter(ctx, adapter, files.config.ropeLayout).inference);
      expect((await generate(model, files.tokenizer, ids, sampling, () => {})).text).toBe(adapted);
      model.setAdapter(uploadLoraAdapter(ctx, dora, files.config.ropeLayout).inference);
      expect((await generate(model, files.tokenizer, ids, sampling, () => {})).text).toBe(dorad);
    } finally {
      model.dispose();
      releaseModel(ctx, uploaded);
    }

    // The batched columns stream together (their tokens interleave, both before either ends), the DoRA column after.
    const done = events.filter((e) => e.kind === 'compare-column-done').map((e) => (e.kind === 'compare-column-done' ? e.column : -1));
    expect(done).toEqual([0, 1, 2]);
    const tokens = events.flatMap((e) => (e.kind === 'compare-token' ? [e.column] : []));
    expect(tokens.slice(0, 4)).toEqual([0, 1, 0, 1]);
    const firstDone = events.findIndex((e) => e.kind === 'compare-column-done');
    expect(events.slice(0, firstDone).every((e) => e.kind === 'compare-token' && e.column < 2 && e.requestId === 7)).toBe(true);

    // Nothing stays attached: the base alone gives the base's text again.
    const again = await session.generate(request(1).settings, new AbortController().signal, () => {});
    expect(again.text).toBe(base);
  });

  it('a stop ends the batched columns where they are, each keeping its text, and skips the columns not begun', async () => {
    const controller = new AbortController();
    const run = await generateColumns(ctx, session, [null, adapter, dora], request(3), controller.signal, (m) => {
      if (m.kind === 'compare-token' && m.column === 1 && m.progress.tokens === 2) controller.abort();
    });
    expect(run.stopped).toBe(true);
    for (const c of run.columns.slice(0, 2)) expect(c).toMatchObject({ status: 'done', outcome: { stopReason: 'aborted', tokens: 2 } });
    expect(run.columns[2]).toEqual({ status: 'skipped' });
  });
});
