import { describe, expect, it } from 'vitest';
import type { TokenizedExample } from '../data/tokenize';
import { fixedOrderBatches } from '../data/batches';
import type { OptimizerHyperparameters, StepMetrics } from '../gpu/train/types';
import { ExampleBatchStream } from './batch-stream';
import { BEST_FILE, CHECKPOINT_FILE, decodeCheckpoint } from './checkpoint';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from './config';
import { NonFiniteError, runTrainingLoop, TrainingInterruptedError, type LoopOptions } from './loop';
import type { ProgressEvent } from './metrics';
import { learningRateAt } from './schedule';
import { MemoryStorage } from './storage';
import { BigramTrainer } from './testing/bigram-trainer';

const V = 6;

/** A sequence following a pattern, every token after the first trained. */
function example(ids: number[]): TokenizedExample {
  const trained = new Uint8Array(ids.length).fill(1);
  trained[0] = 0;
  return { ids: Uint32Array.from(ids), trained, trainedCount: ids.length - 1, key: ids[0] };
}

const TRAIN = Array.from({ length: 12 }, (_, i) => example([i % 3, 3, 4, 5, 3, 4, 5, (i + 1) % 3]));
const VAL_SAME = [example([0, 3, 4, 5, 3, 4]), example([2, 3, 4, 5])];

function config(overrides: Partial<TrainingConfig> = {}): TrainingConfig {
  return {
    ...DEFAULT_TRAINING_CONFIG,
    learningRate: 0.05,
    schedule: 'linear',
    warmupSteps: 2,
    batchSize: 2,
    gradAccum: 2,
    seqLen: 16,
    maxSteps: 20,
    epochs: null,
    evalEvery: 5,
    saveEvery: 5,
    ...overrides,
  };
}

function setup(c: TrainingConfig, validation = VAL_SAME) {
  const trainer = new BigramTrainer(V);
  const storage = new MemoryStorage();
  const shape = { microBatchSize: c.batchSize, seqLen: c.seqLen, packing: c.pack };
  const options: LoopOptions = {
    trainer,
    batches: new ExampleBatchStream(TRAIN, { ...shape, seed: c.seed }),
    validation: fixedOrderBatches(validation, shape),
    config: c,
    storage,
    model: 'bigram',
  };
  return { trainer, storage, options };
}

describe('runTrainingLoop', () => {
  it('learns, follows the schedule and reports every step', async () => {
    const c = config();
    const { options } = setup(c);
    const events: ProgressEvent[] = [];
    const result = await runTrainingLoop({ ...options, onProgress: (e) => events.push(e) });
    expect(result.stopReason).toBe('completed');
    expect(result.steps).toBe(20);
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const e of events) {
      expect(e.learningRate).toBe(learningRateAt(e.step - 1, { kind: 'linear', peak: 0.05, warmupSteps: 2, totalSteps: 20 }));
    }
    expect(events.filter((e) => e.validation).map((e) => e.step)).toEqual([5, 10, 15, 20]);
    // A baseline validation before the first step, then every evalEvery steps.
    expect(result.history.validations.map((v) => v.step)).toEqual([0, 5, 10, 15, 20]);
    const vals = result.history.validations.map((v) => v.loss);
    expect(vals[4]).toBeLessThan(vals[0] * 0.8);
    for (let i = 1; i < 5; i++) expect(vals[i]).toBeLessThan(vals[i - 1]);
    expect(result.history.validations[0].perplexity).toBeCloseTo(Math.exp(vals[0]), 10);
    // Each step saw gradAccum micro-batches of 2 sequences with 7 trained tokens each.
    expect(result.history.steps[0].trainedTokens).toBe(2 * 2 * 7);
    expect(events[0].epoch).toBeCloseTo(2 / 6, 10);
  });

  it('10 steps + resume + 10 steps gives exactly the losses of 20 straight steps', async () => {
    const straight = await runTrainingLoop(setup(config()).options);

    const first = setup(config());
    expect((await runTrainingLoop({ ...first.options, untilStep: 10 })).stopReason).toBe('paused');
    const saved = decodeCheckpoint((await first.storage.read(CHECKPOINT_FILE))!);
    expect(saved.step).toBe(10);

    const second = setup(config());
    second.options.storage = first.storage;
    const resumed = await runTrainingLoop({ ...second.options, resume: saved });
    expect(resumed.steps).toBe(20);
    expect(resumed.history.steps.map((s) => s.loss)).toEqual(straight.history.steps.map((s) => s.loss));
    expect(resumed.history.validations).toEqual(straight.history.validations);
    expect(second.trainer.stepsTaken).toBe(10);
    expect(second.trainer.params).toEqual((await setupParams(straight)).params);

    async function setupParams(_: unknown) {
      const again = setup(config());
      await runTrainingLoop(again.options);
      return again.trainer;
    }
  });

  it('writes a checkpoint every saveEvery steps and at the end', async () => {
    const { options, storage } = setup(config({ maxSteps: 7, saveEvery: 3 }));
    const seen: number[] = [];
    const write = storage.write.bind(storage);
    storage.write = async (name, parts) => {
      if (name === CHECKPOINT_FILE) seen.push(decodeCheckpoint(Uint8Array.from(parts.flatMap((p) => [...p]))).step);
      return write(name, parts);
    };
    await runTrainingLoop(options);
    expect(seen).toEqual([3, 6, 7]);
  });

  it('stops early when validation loss stops improving and keeps the best adapter', async () => {
    // Validation follows another pattern (0 → 1), which training on 0 → 3 makes ever less likely.
    const c = config({ patience: 2, evalEvery: 2, warmupSteps: 0, schedule: 'constant' });
    const { options, storage, trainer } = setup(c, [example([0, 1, 0, 1, 0, 1]), example([1, 0, 1, 0])]);
    const result = await runTrainingLoop(options);
    expect(result.stopReason).toBe('early-stopped');
    expect(result.best).not.toBeNull();
    expect(result.steps).toBe(result.best!.step + 2 * 2);
    const best = decodeCheckpoint((await storage.read(BEST_FILE))!);
    expect(best.step).toBe(result.best!.step);
    expect(trainer.stepsTaken).toBe(result.steps);
  });

  it('stops on a non-finite loss, naming the step and keeping the last good checkpoint', async () => {
    const { options, storage } = setup(config({ learningRate: 1e38, maxGradNorm: 0, saveEvery: 2, warmupSteps: 0, schedule: 'constant' }));
    const error = await runTrainingLoop(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    const e = error as NonFiniteError;
    expect(e.message).toMatch(new RegExp(`step ${e.step}: .* is (NaN|Infinity)`));
    expect(e.message).toContain(`last good checkpoint (step ${e.checkpointStep})`);
    const kept = decodeCheckpoint((await storage.read(CHECKPOINT_FILE))!);
    expect(kept.step).toBe(e.checkpointStep);
    expect(kept.history.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
  });

  it('turns an engine failure mid-run into a message that says how to resume', async () => {
    const { options, trainer } = setup(config({ saveEvery: 4 }));
    const step = trainer.step.bind(trainer);
    trainer.step = async (hp: OptimizerHyperparameters): Promise<StepMetrics> => {
      if (trainer.stepsTaken === 6) throw new Error('GPU device was lost (reason: unknown)');
      return step(hp);
    };
    const error = await runTrainingLoop(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingInterruptedError);
    expect((error as Error).message).toBe(
      'training stopped during step 7: GPU device was lost (reason: unknown). The last good checkpoint (step 4) ' +
        'is in memory. Run the same command with --resume to continue from it.',
    );
  });

  it('refuses to resume with other settings or on another model', async () => {
    const first = setup(config({ maxSteps: 5 }));
    await runTrainingLoop(first.options);
    const saved = decodeCheckpoint((await first.storage.read(CHECKPOINT_FILE))!);
    const other = setup(config({ rank: 4 }));
    await expect(runTrainingLoop({ ...other.options, resume: saved })).rejects.toThrow(/rank was 8, now 4/);
    const model = setup(config());
    await expect(runTrainingLoop({ ...model.options, model: 'other', resume: saved })).rejects.toThrow(
      /made on bigram, not other/,
    );
  });

  it('an aborted run saves a checkpoint at the step it reached', async () => {
    const controller = new AbortController();
    const { options, storage } = setup(config({ saveEvery: 0 }));
    const result = await runTrainingLoop({
      ...options,
      signal: controller.signal,
      onProgress: (e) => e.step === 3 && controller.abort(),
    });
    expect(result.stopReason).toBe('aborted');
    expect(decodeCheckpoint((await storage.read(CHECKPOINT_FILE))!).step).toBe(3);
  });
});

describe('runTrainingLoop on a stream whose epoch length is estimated', () => {
  it('plans from the estimate, follows its corrections, and says the ETA is estimated until the pass ends', async () => {
    const c = config({ maxSteps: null, epochs: 1, gradAccum: 1, evalEvery: 0, saveEvery: 0 });
    const { options } = setup(c);
    const inner = options.batches as ExampleBatchStream;
    // A streamed file's estimate: 4 batches at first, corrected to the true 6 after the third batch.
    let taken = 0;
    const stream = {
      next: async () => (taken++, inner.next()),
      get batchesPerEpoch() {
        return taken < 3 ? 4 : 6;
      },
      get epochEstimated() {
        return taken < 3;
      },
      position: () => inner.position(),
      restore: (p: unknown) => inner.restore(p),
    };
    const events: ProgressEvent[] = [];
    const result = await runTrainingLoop({ ...options, batches: stream, onProgress: (e) => events.push(e) });
    expect(result.steps).toBe(6);
    expect(events.map((e) => [e.totalSteps, e.etaEstimated])).toEqual([
      [4, true],
      [4, true],
      [6, false],
      [6, false],
      [6, false],
      [6, false],
    ]);
  });
});
