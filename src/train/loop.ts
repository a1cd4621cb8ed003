/**
 * The training loop (llm.c's main loop: next batch → forward/backward → update), with what a real run needs
 * around it: gradient accumulation, the learning-rate schedule, validation and keep-best, early stopping,
 * checkpoints every N steps, resume, NaN/Inf detection and progress events. No GPU and no file system here:
 * the engine is a `Trainable`, files go through a `RunStorage`.
 */
import type { TokenBatch } from '../data/batch-types';
import type { OptimizerHyperparameters } from '../gpu/train/types';
import { BEST_FILE, CHECKPOINT_FILE, encodeCheckpoint, type Checkpoint } from './checkpoint';
import { resumeIncompatibilities, type TrainingConfig } from './config';
import { EarlyStopping } from './early-stopping';
import { perplexity, type MetricsHistory, type ProgressEvent, type ValidationRecord } from './metrics';
import { learningRateAt } from './schedule';
import type { RunStorage } from './storage';
import type { BatchStream, Trainable } from './trainable';

export interface LoopOptions {
  trainer: Trainable;
  batches: BatchStream;
  /** Held-out micro-batches, evaluated whole at each validation (empty = no validation). */
  validation: readonly TokenBatch[];
  config: TrainingConfig;
  storage: RunStorage;
  /** Names the base model in checkpoints; resuming on another model is refused. */
  model: string;
  /** A checkpoint to continue from (already read from storage). */
  resume?: Checkpoint | null;
  onProgress?: (event: ProgressEvent) => void;
  /** Called after every validation, including the baseline one before the first step (step 0). */
  onValidation?: (record: ValidationRecord) => void;
  /** Aborting stops after the current step, saving a checkpoint first. */
  signal?: AbortSignal;
  /** The engine allocator's peak bytes, for progress events. */
  peakBytes?: () => number;
  /** Pause after this optimizer step (checkpoint saved, stopReason 'paused'); the run continues with resume. */
  untilStep?: number;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
  /** Awaited after each optimizer step's progress event (e.g. sample generations with the adapter as it is). */
  afterStep?: (step: number) => Promise<void>;
}

export type StopReason = 'completed' | 'early-stopped' | 'aborted' | 'paused';

export interface LoopResult {
  stopReason: StopReason;
  /** Optimizer steps completed (resumed ones included). */
  steps: number;
  totalSteps: number;
  history: MetricsHistory;
  best: { step: number; loss: number } | null;
  tokensPerSecond: number;
  elapsedSeconds: number;
  /** Step of the last checkpoint written (or resumed from). */
  checkpointStep: number | null;
}

/** A step produced a NaN or infinite loss or gradient norm; the last good checkpoint is kept. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly gradNorm: number,
    readonly checkpointStep: number | null,
    where: string,
  ) {
    super(
      `step ${step}: the ${Number.isFinite(loss) ? 'gradient norm' : 'loss'} is ${Number.isFinite(loss) ? gradNorm : loss} ` +
        `(loss ${loss}, grad norm ${gradNorm}); training stopped. ${keptCheckpoint(checkpointStep, where)} ` +
        'Try a lower --lr, --max-grad-norm 1, or warmup steps.',
    );
  }
}

/** The engine failed mid-run (e.g. the GPU device was lost); completed work is in the last checkpoint. */
export class TrainingInterruptedError extends Error {
  override name = 'TrainingInterruptedError';
  constructor(
    readonly step: number,
    readonly checkpointStep: number | null,
    where: string,
    override readonly cause: unknown,
  ) {
    super(
      `training stopped during step ${step}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        `${keptCheckpoint(checkpointStep, where)}` +
        (checkpointStep === null ? '' : ' Run the same command with --resume to continue from it.'),
    );
  }
}

function keptCheckpoint(step: number | null, where: string): string {
  return step === null
    ? 'No checkpoint had been written yet (use --save-every to write them more often).'
    : `The last good checkpoint (step ${step}) is in ${where}.`;
}

/** Optimizer steps a config asks for, given the size of an epoch in micro-batches. */
export function plannedSteps(config: TrainingConfig, batchesPerEpoch: number): number {
  if (config.maxSteps !== null) return config.maxSteps;
  return Math.max(1, Math.ceil(((config.epochs ?? 1) * batchesPerEpoch) / config.gradAccum));
}

export async function runTrainingLoop(o: LoopOptions): Promise<LoopResult> {
  const { trainer, batches, config, storage } = o;
  const now = o.now ?? (() => performance.now());
  // A streamed file's epoch length is an estimate until its first pass ends: the plan follows it.
  let totalSteps = plannedSteps(config, batches.batchesPerEpoch);
  const early = new EarlyStopping(config.patience);
  let history: MetricsHistory = { steps: [], validations: [] };
  let step = 0;
  let priorSeconds = 0;
  let tokensSeen = 0;
  let checkpointStep: number | null = null;

  if (o.resume) {
    const r = o.resume;
    if (r.model !== o.model) throw new Error(`the checkpoint in ${storage.where} was made on ${r.model}, not ${o.model}`);
    const diffs = resumeIncompatibilities(r.config, config);
    if (diffs.length) throw new Error(`the checkpoint in ${storage.where} was made with other settings: ${diffs.join('; ')}`);
    await trainer.importState(r.trainer);
    await batches.restore(r.dataPosition);
    totalSteps = plannedSteps(config, batches.batchesPerEpoch);
    early.state = r.earlyStopping;
    history = { steps: [...r.history.steps], validations: [...r.history.validations] };
    step = r.step;
    priorSeconds = r.elapsedSeconds;
    tokensSeen = r.tokensSeen;
    checkpointStep = r.step;
  }

  const startedAt = now();
  const startStep = step;
  const elapsed = () => priorSeconds + (now() - startedAt) / 1000;

  const snapshot = async (): Promise<Checkpoint> => ({
    step,
    config,
    dataPosition: batches.position(),
    earlyStopping: early.state,
    history,
    trainer: await trainer.exportState(),
    elapsedSeconds: elapsed(),
    tokensSeen,
    model: o.model,
  });
  const saveCheckpoint = async () => {
    await storage.write(CHECKPOINT_FILE, encodeCheckpoint(await snapshot()));
    checkpointStep = step;
  };

  const validate = async (): Promise<ValidationRecord | null> => {
    if (o.validation.length === 0) return null;
    let lossSum = 0;
    let tokens = 0;
    for (const b of o.validation) {
      const m = await trainer.evaluate(b);
      lossSum += m.lossSum;
      tokens += m.trainedTokens;
    }
    const loss = tokens > 0 ? lossSum / tokens : Number.NaN;
    const record = { step, loss, perplexity: perplexity(loss), trainedTokens: tokens };
    history.validations.push(record);
    o.onValidation?.(record);
    return record;
  };

  // A fresh run first measures the base model (the adapter starts as a no-op: B = 0), so the history shows how
  // far training moved the validation loss, and keep-best never exports an adapter worse than no adapter.
  if (step === 0 && o.validation.length > 0) {
    let baseline: ValidationRecord | null;
    try {
      baseline = await validate();
    } catch (error) {
      throw new TrainingInterruptedError(0, null, storage.where, error);
    }
    if (baseline && early.observe(baseline.loss, 0).improved && config.keepBest) {
      await storage.write(BEST_FILE, encodeCheckpoint(await snapshot()));
    }
  }

  let stopReason: StopReason = 'completed';
  let lastValidatedStep = history.validations.at(-1)?.step ?? -1;
  const hp = (s: number): OptimizerHyperparameters => ({
    learningRate: learningRateAt(s, {
      kind: config.schedule,
      peak: config.learningRate,
      warmupSteps: config.warmupSteps,
      totalSteps,
      minRatio: config.minLrRatio,
    }),
    beta1: config.beta1,
    beta2: config.beta2,
    eps: config.eps,
    weightDecay: config.weightDecay,
    maxGradNorm: config.maxGradNorm,
    loraPlusRatio: config.loraPlusRatio,
  });

  while (step < totalSteps) {
    if (o.signal?.aborted) {
      stopReason = 'aborted';
      break;
    }
    if (o.untilStep !== undefined && step >= o.untilStep) {
      stopReason = 'paused';
      break;
    }
    const params = hp(step);
    let metrics;
    try {
      // The step's loss is the mean over all its trained tokens, so each micro-batch is told the step's total.
      const micro: TokenBatch[] = [];
      for (let i = 0; i < config.gradAccum; i++) micro.push(await batches.next());
      const stepTrained = micro.reduce((s, b) => s + b.trainedTokens, 0);
      for (const batch of micro) {
        tokensSeen += batch.tokens.length;
        await trainer.accumulate(batch, stepTrained);
      }
      metrics = await trainer.step(params);
    } catch (error) {
      throw new TrainingInterruptedError(step + 1, checkpointStep, storage.where, error);
    }
    if (!metrics.finite || !Number.isFinite(metrics.loss) || !Number.isFinite(metrics.gradNorm)) {
      throw new NonFiniteError(step + 1, metrics.loss, metrics.gradNorm, checkpointStep, storage.where);
    }
    step++;
    totalSteps = Math.max(step, plannedSteps(config, batches.batchesPerEpoch));
    history.steps.push({
      step,
      loss: metrics.loss,
      learningRate: params.learningRate,
      gradNorm: metrics.gradNorm,
      trainedTokens: metrics.trainedTokens,
    });

    let validation: ValidationRecord | null = null;
    let stopEarly = false;
    const last = step === totalSteps;
    if ((config.evalEvery > 0 && step % config.evalEvery === 0) || last) {
      try {
        validation = await validate();
      } catch (error) {
        throw new TrainingInterruptedError(step, checkpointStep, storage.where, error);
      }
      if (validation) {
        lastValidatedStep = step;
        const verdict = early.observe(validation.loss, step);
        if (verdict.improved && config.keepBest) {
          await storage.write(BEST_FILE, encodeCheckpoint(await snapshot()));
        }
        stopEarly = verdict.stop;
      }
    }

    const seconds = elapsed();
    const sessionSeconds = (now() - startedAt) / 1000;
    const perStep = sessionSeconds / Math.max(1, step - startStep);
    o.onProgress?.({
      step,
      totalSteps,
      epoch: (step * config.gradAccum) / batches.batchesPerEpoch,
      loss: metrics.loss,
      learningRate: params.learningRate,
      gradNorm: metrics.gradNorm,
      tokensPerSecond: seconds > 0 ? tokensSeen / seconds : 0,
      etaSeconds: stopEarly ? 0 : perStep * (totalSteps - step),
      etaEstimated: config.maxSteps === null && batches.epochEstimated === true,
      peakBytes: o.peakBytes ? o.peakBytes() : null,
      validation,
    });

    if (o.afterStep) {
      try {
        await o.afterStep(step);
      } catch (error) {
        throw new TrainingInterruptedError(step, checkpointStep, storage.where, error);
      }
    }

    if (stopEarly) {
      stopReason = 'early-stopped';
      break;
    }
    if (config.saveEvery > 0 && step % config.saveEvery === 0 && !last) await saveCheckpoint();
  }

  // A final validation when the run stopped between validations, so the result always states a val loss.
  if ((stopReason === 'early-stopped' || stopReason === 'aborted') && lastValidatedStep !== step && step > startStep) {
    const v = await validate();
    if (v) {
      const verdict = early.observe(v.loss, step);
      if (verdict.improved && config.keepBest) await storage.write(BEST_FILE, encodeCheckpoint(await snapshot()));
    }
  }
  if (checkpointStep !== step) await saveCheckpoint();
  const e = early.state;
  const elapsedSeconds = elapsed();
  return {
    stopReason,
    steps: step,
    totalSteps,
    history,
    best: e.bestLoss !== null && e.bestStep !== null ? { step: e.bestStep, loss: e.bestLoss } : null,
    tokensPerSecond: elapsedSeconds > 0 ? tokensSeen / elapsedSeconds : 0,
    elapsedSeconds,
    checkpointStep,
  };
}
