/**
 * A comparison's columns on a real WebGPU device: the base column is the plain model's text, an adapter column is
 * the text of the model with that adapter attached (as `webtune generate --adapter` attaches it), the adapter's
 * buffers are given back afterwards, and a stop skips the columns after the current one.
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
});

describe('compare columns', () => {
  it('generates the base and the adapter with the same seeded sampling, as the CLI path does, and frees the adapter', async () => {
    // A first run lets the model and context make the buffers they create on first use; later runs must add none.
    await generateColumns(ctx, session, [null, adapter], request(2), new AbortController().signal, () => {});
    const before = ctx.arena.stats.inUseBytes;
    const events: EventOf<'compare-generate'>[] = [];
    const post = (m: EngineEvent) => {
      if (m.kind === 'compare-token' || m.kind === 'compare-column-done') events.push(m);
    };
    const run = await generateColumns(ctx, session, [null, adapter], request(2), new AbortController().signal, post);
    expect(run.stopped).toBe(false);
    const [base, adapted] = run.columns.map((c) => (c.status === 'done' ? c.outcome.text : `not done: ${c.status}`));
    expect(adapted).not.toBe(base);
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
    } finally {
      model.dispose();
      releaseModel(ctx, uploaded);
    }

    // Streamed per column, each column closed by its own event, in order.
    const done = events.filter((e) => e.kind === 'compare-column-done').map((e) => (e.kind === 'compare-column-done' ? e.column : -1));
    expect(done).toEqual([0, 1]);
    expect(events.some((e) => e.kind === 'compare-token' && e.column === 1 && e.requestId === 7)).toBe(true);

    // Nothing stays attached: the base alone gives the base's text again.
    const again = await session.generate(request(1).settings, new AbortController().signal, () => {});
    expect(again.text).toBe(base);
  });

  it('a stop ends the current column and skips the rest', async () => {
    const controller = new AbortController();
    const run = await generateColumns(ctx, session, [null, adapter, adapter], request(3), controller.signal, (m) => {
      if (m.kind === 'compare-token' && m.column === 0 && m.progress.tokens === 2) controller.abort();
    });
    expect(run.stopped).toBe(true);
    expect(run.columns[0]).toMatchObject({ status: 'done', outcome: { stopReason: 'aborted', tokens: 2 } });
    expect(run.columns.slice(1)).toEqual([{ status: 'skipped' }, { status: 'skipped' }]);
  });
});
