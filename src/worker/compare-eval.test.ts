/**
 * The Compare view's evaluation against `webtune eval`'s (src/train/evaluate.ts): on the same validation examples
 * of the sample dataset, the base's and an adapter's mean loss and token counts agree, progress counts every
 * batch of every column, and a cancel returns no numbers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptToBase } from '../adapters/fit';
import type { LoraAdapter } from '../adapters/lora-weights';
import { randomAdapter } from '../adapters/test-adapter';
import { prepareDataset, SAMPLE_DATASET, type ParseResult } from '../data';
import { parseDatasetFile } from '../data/load-node';
import type { GpuContext } from '../gpu/context';
import { testContext } from '../gpu/testing/gpu';
import { loadModelFromPath } from '../model/load-node';
import { evaluateDataset } from '../train/evaluate';
import { evaluateColumns, type EvalProgress } from './compare-eval';
import type { CompareEvalSettings } from './compare-protocol';
import { ModelSession } from './model-session';

const MODEL = 'public/models/stories260K/stories260K.gguf';
const SETTINGS: CompareEvalSettings = { format: 'auto', seqLen: 64, batchSize: 4, validationFraction: 0.03, seed: 0, trainOnInputs: false };

let ctx: GpuContext;
let session: ModelSession;
let parsed: ParseResult;
let adapter: LoraAdapter;

beforeAll(async () => {
  ctx = await testContext();
  session = await ModelSession.create(ctx, await loadModelFromPath(MODEL), 0);
  parsed = await parseDatasetFile(SAMPLE_DATASET.path);
  adapter = adaptToBase(randomAdapter(session.files.config, { seed: 3, bScale: 0.05 }), session.files.config, session.summary.name);
  // The session makes its inference pipelines ahead: past the suite's 120 s hook limit on a busy 2-core machine.
}, 600_000);

describe('compare evaluation', () => {
  it('gives the CLI evaluation’s numbers on the validation split, for the base and an adapter', async () => {
    const progress: EvalProgress[] = [];
    const summary = await evaluateColumns(ctx, session, [null, adapter], parsed, 'moon-stories.jsonl', SETTINGS, new AbortController().signal, (p) =>
      progress.push(p),
    );
    // The CLI evaluates every example it is given: give it exactly the validation split's rows.
    const { tokenizer, template } = session.dataTokenizer();
    const prepared = prepareDataset(parsed, { ...SETTINGS, tokenizer, template, file: 'moon-stories.jsonl' });
    const lines = new Set(prepared.validation.map((e) => e.line));
    const held: ParseResult = { ...parsed, examples: parsed.examples.filter((e) => lines.has(e.line)) };
    expect(held.examples).toHaveLength(14);
    const cli = async (a: LoraAdapter | null) =>
      evaluateDataset({ ctx, model: session.files, dataset: held, datasetName: 'held', adapter: a, seqLen: 64, batchSize: 4, trainOnInputs: false, quant: 'none' });
    const [base, adapted] = [await cli(null), await cli(adapter)];

    expect(summary).not.toBeNull();
    expect(summary!.examples).toBe(14);
    const [b, a] = summary!.results;
    expect(b.trainedTokens).toBe(base.trainedTokens);
    expect(a.trainedTokens).toBe(adapted.trainedTokens);
    expect(b.meanLoss).toBeCloseTo(base.meanLoss, 4);
    expect(a.meanLoss).toBeCloseTo(adapted.meanLoss, 4);
    expect(a.meanLoss).not.toBeCloseTo(b.meanLoss, 3);
    expect(b.perplexity).toBeCloseTo(Math.exp(b.meanLoss), 6);
    // 14 examples in batches of 4: four batches per column, each reported, then the column's result.
    const reported = (column: number) => [0, 1, 2, 3, 4].map((done) => `${column}:${done}/4`);
    expect(progress.map((p) => `${p.column}:${p.batchesDone}/${p.batches}`)).toEqual([...reported(0), ...reported(1)]);
    expect(progress.at(-1)!.results).toHaveLength(1);
    // SwiftShader compiles the training forward's kernels on first use: about 45 s alone, twice that on a busy machine.
  }, 240_000);

  it('returns no numbers when cancelled', async () => {
    const controller = new AbortController();
    const summary = await evaluateColumns(ctx, session, [null, adapter], parsed, 'moon-stories.jsonl', SETTINGS, controller.signal, (p) => {
      if (p.batchesDone === 1) controller.abort();
    });
    expect(summary).toBeNull();
  });

  it('refuses a split that leaves nothing to validate', async () => {
    const tiny: ParseResult = { ...parsed, examples: parsed.examples.slice(0, 1) };
    await expect(
      evaluateColumns(ctx, session, [null], tiny, 'tiny.jsonl', { ...SETTINGS, validationFraction: 0.5 }, new AbortController().signal, () => {}),
    ).rejects.toThrow(/tiny\.jsonl/);
  });
});
