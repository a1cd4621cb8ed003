/**
 * One base on the GPU per worker, read off the arena's byte counts: with stories260K loaded in the Playground, a
 * Train run on the same file (through the lease `train-run.ts` takes) and a Compare evaluation add no copy of its
 * weights, where the CLI's path (no session) uploads one; a lease keeps the weights through the session's unload,
 * the run on them trains as before, and the bytes go back when the last lease is let go.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDatasetText } from '../data/parse/parse';
import { DEFAULT_READ_SETTINGS } from '../data/types';
import type { ParseResult } from '../data';
import type { GpuContext } from '../gpu/context';
import { releaseModel, uploadModel, type UploadedModel } from '../gpu/model/upload';
import { testContext } from '../gpu/testing/gpu';
import { loadModelFromPath } from '../model/load-node';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from '../train/config';
import { evaluateDataset } from '../train/evaluate';
import { runTrainingSession } from '../train/session';
import { MemoryStorage } from '../train/storage';
import { sameModelSource } from './base-lease';
import { evaluateColumns } from './compare-eval';
import type { CompareEvalSettings } from './compare-protocol';
import type { ModelSource } from './engine-types';
import { ModelSession } from './model-session';
import type { TrainModelSource } from './train-protocol';

const MODEL = 'public/models/stories260K/stories260K.gguf';
const SOURCE: ModelSource = { kind: 'bundled', id: 'stories260K', format: 'gguf' };
const NAMES = ['Lily', 'Tom', 'Sue', 'Max', 'Ben', 'Mia', 'Sam', 'Zoe'];
const TEXT = NAMES.map((n) => JSON.stringify({ text: `${n} saw a cat.` })).join('\n');
// Short examples in 16 tokens: a run's own bytes (adapters, optimizer, activations) stay well under the base's.
const CONFIG: TrainingConfig = {
  ...DEFAULT_TRAINING_CONFIG,
  rank: 2,
  alpha: 4,
  targets: ['q', 'v'],
  learningRate: 1e-2,
  batchSize: 1,
  seqLen: 16,
  maxSteps: 2,
  epochs: null,
  valSplit: 0.25,
  evalEvery: 2,
  saveEvery: 0,
  seed: 5,
};
const EVAL: CompareEvalSettings = { format: 'auto', seqLen: 16, batchSize: 1, validationFraction: 0.25, seed: 0, trainOnInputs: false };

let ctx: GpuContext;
let session: ModelSession;
let parsed: ParseResult;
/** Bytes in use that ModelSession.create added (weights, KV cache, activations). */
let sessionBytes: number;
/** Bytes one upload of the base takes: what a second copy would add. */
let baseBytes: number;
/** The losses of a run on the lent base while the session was loaded. */
let sharedLosses: number[];

/** The most bytes `work` holds on the GPU at once beyond what was there (the pool is emptied first, so each is new). */
async function bytesAddedBy<T>(work: () => Promise<T>): Promise<{ bytes: number; result: T }> {
  ctx.arena.trim();
  const before = ctx.memory.reservedBytes;
  ctx.arena.resetPeak();
  const result = await work();
  return { bytes: ctx.memory.peakBytes - before, result };
}

const train = (base?: UploadedModel) =>
  runTrainingSession({
    ctx,
    model: session.files,
    dataset: { blob: new Blob([TEXT]), read: DEFAULT_READ_SETTINGS },
    datasetName: 'cats.jsonl',
    config: CONFIG,
    storage: new MemoryStorage(),
    resume: false,
    base,
  });

beforeAll(async () => {
  ctx = await testContext();
  parsed = parseDatasetText(TEXT, { file: 'cats.jsonl' });
  const before = ctx.memory.inUseBytes;
  session = await ModelSession.create(ctx, await loadModelFromPath(MODEL), 0, SOURCE);
  sessionBytes = ctx.memory.inUseBytes - before;
  baseBytes = (await bytesAddedBy(async () => releaseModel(ctx, await uploadModel(ctx, session.files.weights)))).bytes;
});

describe('one base on the GPU per worker', () => {
  it('a Train run on the loaded file trains on the Playground’s weights: one copy fewer than the CLI’s run', async () => {
    expect(baseBytes).toBeGreaterThanOrEqual(session.summary.weightBytes);
    const lend = () => {
      const lease = session.lendBaseFor(SOURCE, CONFIG.quant); // what train-run.ts asks the session for
      expect(lease).not.toBeNull();
      return lease!;
    };
    // A first run compiles the kernels and grows the uniform slabs, so the two measured runs below differ only in
    // where their base comes from.
    const warm = lend();
    await train(warm.uploaded).finally(() => warm.release());

    const lease = lend();
    const shared = await bytesAddedBy(() => train(lease.uploaded)).finally(() => lease.release());
    const own = await bytesAddedBy(() => train());
    expect(shared.bytes).toBeLessThan(baseBytes);
    expect(own.bytes - shared.bytes).toBe(baseBytes);
    const losses = (r: typeof shared.result) => r.loop.history.steps.map((s) => s.loss);
    expect(losses(shared.result)).toEqual(losses(own.result));
    sharedLosses = losses(shared.result);
    // SwiftShader compiles the training kernels on first use: about 45 s alone, more on a busy machine.
  }, 600_000);

  it('a Compare evaluation reads the Playground’s weights: no copy, where the CLI’s evaluation uploads one', async () => {
    const held = ctx.memory.inUseBytes;
    const signal = new AbortController().signal;
    const compare = await bytesAddedBy(() => evaluateColumns(ctx, session, [null], parsed, 'cats.jsonl', EVAL, signal, () => {}));
    expect(compare.result?.results).toHaveLength(1);
    expect(compare.bytes).toBeLessThan(baseBytes);
    expect(ctx.memory.inUseBytes).toBe(held); // its lease was let go
    const cli = await bytesAddedBy(() =>
      evaluateDataset({ ctx, model: session.files, dataset: parsed, datasetName: 'cats.jsonl', seqLen: 16, batchSize: 1, trainOnInputs: false, quant: 'none' }),
    );
    expect(cli.bytes).toBeGreaterThanOrEqual(baseBytes);
  }, 300_000);

  it('lends nothing to a run on another file or on QLoRA’s NF4 copy', () => {
    expect(session.lendBaseFor({ kind: 'bundled', id: 'stories260K', format: 'hf' }, 'none')).toBeNull();
    expect(session.lendBaseFor({ kind: 'cached', key: 'stories260K', label: 'stories260K' }, 'none')).toBeNull();
    expect(session.lendBaseFor(SOURCE, 'nf4')).toBeNull();
  });

  it('keeps lent weights through the session’s unload and frees them with the last lease', async () => {
    const lease = session.lendBaseFor(SOURCE, 'none')!;
    const loaded = ctx.memory.inUseBytes;
    await session.dispose();
    // Everything of the session went but the weights, which a run still holds.
    expect(loaded - ctx.memory.inUseBytes).toBe(sessionBytes - baseBytes);
    expect(() => session.lendBase()).toThrow(/unloaded/);
    const after = await train(lease.uploaded);
    expect(after.loop.history.steps.map((s) => s.loss)).toEqual(sharedLosses);

    const held = ctx.memory.inUseBytes;
    const reserved = ctx.memory.reservedBytes;
    lease.release();
    expect(held - ctx.memory.inUseBytes).toBe(baseBytes);
    expect(reserved - ctx.memory.reservedBytes).toBeGreaterThanOrEqual(baseBytes); // given back to the device
    lease.release(); // a second release does nothing
    expect(held - ctx.memory.inUseBytes).toBe(baseBytes);
  }, 300_000);
});

describe('which Train base is the loaded one', () => {
  const file = (name: string, text: string, lastModified: number) => new File([text], name, { lastModified });
  it('matches a bundled model by id and format, a cached one by key, a file by name, size and date', () => {
    const bundled: TrainModelSource = { kind: 'bundled', id: 'stories260K', format: 'gguf' };
    expect(sameModelSource(SOURCE, bundled)).toBe(true);
    expect(sameModelSource(SOURCE, { ...bundled, format: 'hf' })).toBe(false);
    expect(sameModelSource({ kind: 'cached', key: 'a' }, { kind: 'cached', key: 'a', label: 'A' })).toBe(true);
    expect(sameModelSource({ kind: 'cached', key: 'a' }, { kind: 'cached', key: 'b', label: 'A' })).toBe(false);
    const loaded: ModelSource = { kind: 'gguf-file', file: file('m.gguf', 'abcd', 1000) };
    expect(sameModelSource(loaded, { kind: 'gguf-file', file: file('m.gguf', 'abcd', 1000) })).toBe(true);
    expect(sameModelSource(loaded, { kind: 'gguf-file', file: file('m.gguf', 'abcde', 1000) })).toBe(false);
    expect(sameModelSource(loaded, { kind: 'gguf-file', file: file('m.gguf', 'abcd', 2000) })).toBe(false);
    expect(sameModelSource(loaded, { kind: 'gguf-file', file: file('n.gguf', 'abcd', 1000) })).toBe(false);
    expect(sameModelSource({ kind: 'folder', label: 'm', files: [] }, bundled)).toBe(false);
  });

  it('matches a folder by its label and every file by path, name, size and date, in any order', () => {
    const folder = () => [
      { path: 'hf/config.json', file: file('config.json', '{}', 1000) },
      { path: 'hf/model.safetensors', file: file('model.safetensors', 'weights', 1000) },
    ];
    const loaded: ModelSource = { kind: 'folder', label: 'hf', files: folder() };
    expect(sameModelSource(loaded, { kind: 'folder', label: 'hf', files: folder() })).toBe(true);
    expect(sameModelSource(loaded, { kind: 'folder', label: 'hf', files: folder().reverse() })).toBe(true);
    expect(sameModelSource(loaded, { kind: 'folder', label: 'other', files: folder() })).toBe(false);
    const [config, weights] = folder();
    expect(sameModelSource(loaded, { kind: 'folder', label: 'hf', files: [config] })).toBe(false);
    const changed = { ...weights, file: file('model.safetensors', 'weights!', 1000) };
    expect(sameModelSource(loaded, { kind: 'folder', label: 'hf', files: [config, changed] })).toBe(false);
    expect(sameModelSource(loaded, { kind: 'folder', label: 'hf', files: [config, { ...weights, path: 'hf/other.safetensors' }] })).toBe(false);
    expect(sameModelSource(loaded, { kind: 'folder', label: 'hf', files: [config, config] })).toBe(false);
    expect(sameModelSource({ kind: 'gguf-file', file: weights.file }, { kind: 'folder', label: 'hf', files: folder() })).toBe(false);
  });
});
