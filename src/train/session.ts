/**
 * One training run from a loaded model and a parsed dataset to a trained adapter: the steps the CLI and the
 * studio's worker share. Checks the settings, prepares the data, estimates memory (refusing what cannot fit),
 * uploads the base (unless one already on the GPU is lent), builds the GPU trainer, runs the loop (resuming when
 * asked) and reads back the adapter — the best one by validation loss when keep-best is on. No file system here:
 * files go through a RunStorage.
 */
import { adapterFromTrainer, ia3AdapterFromTrainer, promptAdapterFromTrainer } from '../adapters/from-trainer';
import type { PromptAdapter } from '../adapters/prompt-weights';
import type { Ia3Adapter } from '../adapters/ia3-weights';
import type { LoraAdapter } from '../adapters/lora-weights';
import { IA3_DEFAULT } from '../model/lora-targets';
import { type BatchShape, fixedOrderBatches, maxTokensOf, textTokensOf } from '../data/batches';
import type { PreparedDataset } from '../data/prepare';
import type { SplitOptions } from '../data/split';
import { type DataOpener, type DataStream } from '../data/stream/data-stream';
import { type DataProgress, StreamedDataset, type StreamSettings } from '../data/stream/streamed-dataset';
import type { DatasetReadSettings } from '../data/types';
import type { GpuContext } from '../gpu/context';
import { releaseModel, uploadModel, type UploadedModel } from '../gpu/model/upload';
import { LoraTrainer } from '../gpu/train/lora-trainer';
import { chatTemplateFor } from '../model/chat';
import type { LoadedModel } from '../model/load';
import { BEST_FILE, CHECKPOINT_FILE, decodeCheckpoint } from './checkpoint';
import { checkRankFits, checkTrainingConfig, checkWindowFits, type TrainingConfig } from './config';
import { guardDeviceLoss } from './device-loss';
import { runTrainingLoop, type LoopResult } from './loop';
import { baseStorage } from '../model/quant/storage';
import { formatBytes, type MemoryEstimate, type WeightStorage } from './memory-estimate';
import { type MemoryPlan, noPlanText, planMemory, withPlan } from './memory-plan';
import type { ProgressEvent, ValidationRecord } from './metrics';
import type { SessionNotice } from './session-notice';
import { KEY_WORDS } from './setting-words';
import { promptStart } from './prompt-init';
import { trainsLoraPairs } from './settings';
import type { RunStorage } from './storage';

export interface TrainingSessionInput {
  ctx: GpuContext;
  model: LoadedModel;
  /** The dataset file, streamed from disk (or OPFS) by the run, and how to read it. */
  dataset: { blob: Blob; read: DatasetReadSettings };
  datasetName: string;
  /** The train/validation split; default `config.valSplit` seeded by `config.seed` (the studio passes the Datasets
   * view's split when the run trains the file open there). */
  split?: SplitOptions;
  config: TrainingConfig;
  storage: RunStorage;
  /** Continue the run whose checkpoint is in `storage`. */
  resume: boolean;
  /** Bytes the run may use (undefined: only the device's per-buffer limits are checked). */
  budgetBytes?: number;
  onProgress?: (event: ProgressEvent) => void;
  onValidation?: (record: ValidationRecord) => void;
  onNotice?: (notice: SessionNotice) => void;
  /** The data pipeline's progress: rows read and tokenized, share of the file, its tokens per second, bad rows. */
  onDataProgress?: (progress: DataProgress) => void;
  signal?: AbortSignal;
  /** Pause after this step (see LoopOptions.untilStep). */
  untilStep?: number;
  /**
   * Told the data's sizes before the first step: a file that fits in one shuffle window is counted whole; a
   * larger one streams (`streamed`), and `train` counts its first window only.
   */
  onPrepared?: (data: { train: number; validation: number; streamed: boolean }) => void;
  /**
   * Awaited after each optimizer step with the live trainer and the uploaded base, e.g. to generate samples with
   * the adapter as it is (the studio's Train view). Must not change the trainer's state.
   */
  afterStep?: (step: number, engine: { trainer: LoraTrainer; uploaded: UploadedModel }) => Promise<void>;
  /**
   * `model`'s weights already on the GPU in the format `config.quant` gives (the studio lends the Playground's
   * upload), trained on instead of a copy; the caller keeps them alive until the session returns. Absent (the
   * CLI, or a base other than the loaded one), the session uploads its own and releases it at the end.
   */
  base?: UploadedModel;
  /** Opens the run's data (default: a StreamedDataset on this thread; the CLI and the studio read it in a data worker). */
  openData?: DataOpener;
}

export interface TrainingSessionResult {
  loop: LoopResult;
  /** The LoRA (or DoRA) adapter; null for an IA³ run, whose vectors are in `ia3`, or a prompt-tuning run (`prompt`). */
  adapter: LoraAdapter | null;
  ia3: Ia3Adapter | null;
  prompt: PromptAdapter | null;
  /** The step whose adapter was exported (the best validation, or the last step). */
  adapterStep: number;
  /** Of the whole file when it fit in one window, else of the first window (`streamed`). */
  data: Pick<PreparedDataset, 'truncatedCount' | 'rows' | 'badRowCount'> & {
    train: number;
    validation: number;
    dropped: number;
    streamed: boolean;
  };
  estimate: MemoryEstimate;
  /** The memory plan the run trained with (its micro-batch, accumulation and checkpointing). */
  plan: MemoryPlan;
  /** The engine allocator's peak over the run (weights, trainer, scratch). */
  peakBytes: number;
  finalTrainLoss: number;
  finalValLoss: number | null;
}

/** `plan`: the smallest plan's problems and the nearest plans that fit, as data, for a front end to word. */
export class MemoryLimitError extends Error {
  override name = 'MemoryLimitError';
  constructor(
    message: string,
    readonly plan?: MemoryPlan,
  ) {
    super(message);
  }
}

/** How the base's linear weights sit on the GPU (its file's format, or NF4 with QLoRA): model/quant/storage.ts. */
function weightStorageOf(model: LoadedModel, quant: 'none' | 'nf4'): WeightStorage {
  return baseStorage(model.weights, quant).linears;
}

export function describeModel(model: LoadedModel, quant: 'none' | 'nf4'): string {
  const c = model.config;
  return `${model.name} (${c.architecture}, ${c.numLayers} layers, hidden ${c.hiddenSize}, vocab ${c.vocabSize}, ${weightStorageOf(model, quant)})`;
}

/** A run's data stream: the file read by the one reader, tokenized with the model's tokenizer and template. */
export function openTrainingData(
  model: LoadedModel,
  dataset: TrainingSessionInput['dataset'],
  name: string,
  config: TrainingConfig,
  split: SplitOptions = { validationFraction: config.valSplit, seed: config.seed },
  onProgress?: (progress: DataProgress) => void,
): Promise<StreamedDataset> {
  return StreamedDataset.open(dataset.blob, trainingStreamSettings(model, dataset, name, config, split, onProgress));
}

function trainingStreamSettings(
  model: LoadedModel,
  dataset: TrainingSessionInput['dataset'],
  name: string,
  config: TrainingConfig,
  split: SplitOptions = { validationFraction: config.valSplit, seed: config.seed },
  onProgress?: (progress: DataProgress) => void,
): StreamSettings {
  const batch = { microBatchSize: config.batchSize, seqLen: config.seqLen, packing: config.pack, virtualTokens: virtualTokensOf(config) };
  return {
    file: name,
    read: dataset.read,
    tokenize: {
      tokenizer: model.tokenizer,
      template: chatTemplateFor(model.tokenizer, model.chatTemplate),
      // Prompt tuning's virtual tokens take the head of every sequence: the text gets the rest.
      seqLen: textTokensOf(batch),
      trainOnInputs: config.trainOnInputs,
      overLength: config.overLength,
    },
    split,
    batch,
    seed: config.seed,
    windowRows: config.shuffleWindow,
    onProgress,
  };
}

/** The virtual tokens a run puts before every sequence (prompt tuning's; 0 for the other methods). */
function virtualTokensOf(config: TrainingConfig): number {
  return config.method === 'prompt' ? config.virtualTokens : 0;
}

export async function runTrainingSession(sessionInput: TrainingSessionInput): Promise<TrainingSessionResult> {
  const { ctx, model, storage } = sessionInput;
  checkTrainingConfig(sessionInput.config);
  checkRankFits(sessionInput.config, model.config);
  checkWindowFits(sessionInput.config, model.config);

  const saved = await storage.read(CHECKPOINT_FILE);
  if (sessionInput.resume && !saved) throw new Error(`--resume: there is no checkpoint (${CHECKPOINT_FILE}) in ${storage.where}`);
  if (!sessionInput.resume && saved) {
    throw new Error(
      `${storage.where} already holds a checkpoint of an earlier run; pass --resume to continue it, or choose another --out`,
    );
  }
  const resume = sessionInput.resume && saved ? decodeCheckpoint(saved, `${storage.where}/${CHECKPOINT_FILE}`) : null;

  // The memory plan decides the micro-batch (which the data stream batches by) before anything is read or uploaded.
  const plan = planSessionMemory(sessionInput, resume?.config);
  if (!plan.fits) throw new MemoryLimitError(`this run does not fit the GPU: ${noPlanText(plan, KEY_WORDS)}`, plan);
  sessionInput.onNotice?.({ kind: 'memory-plan', plan });
  const input = { ...sessionInput, config: withPlan(sessionInput.config, plan) };
  const { config } = input;
  const shape = { microBatchSize: config.batchSize, seqLen: config.seqLen, packing: config.pack, virtualTokens: virtualTokensOf(config) };
  const maxTokens = maxTokensOf(shape);

  // The first window is read (and a file that fits, whole) before the GPU is touched, so a refused file is
  // refused first; the loop restores the position of a resumed run.
  const settings = trainingStreamSettings(model, input.dataset, input.datasetName, config, input.split, input.onDataProgress);
  const data = input.openData
    ? await input.openData(input.dataset.blob, settings, model.tokenizerSpec)
    : await StreamedDataset.open(input.dataset.blob, settings);
  try {
    return await trainOn(input, plan, data, resume, shape, maxTokens);
  } finally {
    data.close();
  }
}

/**
 * The run's memory plan on this device (memory-plan.ts). A resumed run keeps the micro-batch, accumulation and
 * checkpointing it was started with, when its effective batch is still the one asked for: its data position counts
 * micro-batches.
 */
function planSessionMemory(input: TrainingSessionInput, saved: TrainingConfig | undefined): MemoryPlan {
  const { ctx, model, config } = input;
  const keep = saved && saved.batchSize * saved.gradAccum === config.batchSize * config.gradAccum;
  return planMemory({
    model: model.config,
    stored: baseStorage(model.weights, 'none'),
    config,
    limits: ctx.device.limits,
    budgetBytes: input.budgetBytes,
    deviceMemoryBytes: ctx.report.memoryBytes,
    fixed: keep ? { batchSize: saved.batchSize, gradAccum: saved.gradAccum, checkpointing: saved.checkpointing } : undefined,
  });
}

async function trainOn(
  input: TrainingSessionInput,
  plan: MemoryPlan,
  data: DataStream,
  resume: ReturnType<typeof decodeCheckpoint> | null,
  shape: BatchShape,
  maxTokens: number,
): Promise<TrainingSessionResult> {
  const { ctx, model, config, storage } = input;
  const first = data.firstWindow;
  if (first.truncatedCount > 0) input.onNotice?.({ kind: 'truncated', count: first.truncatedCount, seqLen: config.seqLen });
  if (first.dropped.length > 0) input.onNotice?.({ kind: 'dropped', count: first.dropped.length });

  input.onPrepared?.({ train: first.train, validation: data.validation.length, streamed: !first.fits });

  ctx.arena.resetPeak();
  const uploaded = input.base ?? (await uploadModel(ctx, model.weights, { quantize: config.quant }));
  let trainer: LoraTrainer | null = null;
  try {
    const lora = { rank: config.rank, alpha: config.alpha, rsLora: config.rsLora, targets: config.targets, dora: config.method === 'dora' };
    const start = config.method === 'prompt' ? promptStart(model.tokenizer, config.promptInit, config.virtualTokens, model.config.vocabSize, config.seed) : null;
    trainer = new LoraTrainer(ctx, uploaded, {
      lora,
      ...(config.method === 'ia3' ? { ia3: IA3_DEFAULT } : {}),
      ...(start ? { prompt: { virtualTokens: config.virtualTokens, init: start.ids } } : {}),
      dropout: config.dropout,
      maxTokens,
      checkpointing: config.checkpointing,
      seed: config.seed,
    });
    // Every pipeline a step needs, created now and at once, so the first step waits on no compile.
    await trainer.preparePipelines();
    const loop = await runTrainingLoop({
      trainer: guardDeviceLoss(trainer, ctx.lost),
      batches: data,
      validation: fixedOrderBatches(data.validation, shape),
      config,
      storage,
      model: describeModel(model, config.quant),
      resume,
      onProgress: input.onProgress,
      onValidation: input.onValidation,
      signal: input.signal,
      untilStep: input.untilStep,
      peakBytes: () => ctx.memory.peakBytes,
      afterStep: input.afterStep ? (step) => input.afterStep!(step, { trainer: trainer!, uploaded }) : undefined,
    });

    let adapterStep = loop.steps;
    if (config.keepBest && loop.best && loop.best.step !== loop.steps) {
      const best = await storage.read(BEST_FILE);
      if (best) {
        trainer.importState(decodeCheckpoint(best, `${storage.where}/${BEST_FILE}`).trainer);
        adapterStep = loop.best.step;
      }
    }
    const base = { config: model.config, name: model.name };
    const adapter = trainsLoraPairs(config.method) ? adapterFromTrainer({ ...lora, dropout: config.dropout }, base, await trainer.adapterWeights()) : null;
    const ia3 = config.method === 'ia3' ? ia3AdapterFromTrainer(IA3_DEFAULT, base, await trainer.ia3Vectors()) : null;
    const prompt = start
      ? promptAdapterFromTrainer({ virtualTokens: config.virtualTokens, ...start }, base, await trainer.promptEmbeddings())
      : null;
    const lastVal = loop.history.validations.at(-1);
    return {
      loop,
      adapter,
      ia3,
      prompt,
      adapterStep,
      data: {
        rows: first.rows,
        badRowCount: first.badRowCount,
        truncatedCount: first.truncatedCount,
        train: first.train,
        validation: data.validation.length,
        dropped: first.dropped.length,
        streamed: !first.fits,
      },
      estimate: plan.estimate,
      plan,
      peakBytes: ctx.memory.peakBytes,
      finalTrainLoss: loop.history.steps.at(-1)?.loss ?? Number.NaN,
      finalValLoss: lastVal ? lastVal.loss : null,
    };
  } finally {
    trainer?.dispose();
    if (!input.base) releaseModel(ctx, uploaded);
  }
}

export { formatBytes };
