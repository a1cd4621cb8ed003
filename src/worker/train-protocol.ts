/**
 * The engine worker's training requests (declared in `TrainRequests`, joined into the one map in protocol.ts). A run
 * is started (or resumed) with `train-start`, whose one reply comes when the run stops: its outcome, or a failure
 * reply carrying a TrainFailure; in between the worker sends events named by the run's `runId` (never `id`: see
 * protocol.ts).
 */
import type { DataProgress } from '../data/stream/streamed-dataset';
import type { DatasetReadSettings, DatasetSource, SplitOptions } from '../data';
import type { ModelConfig } from '../model/config';
import type { SessionNotice } from '../train/session-notice';
import type { TrainingConfig } from '../train/config';
import type { SettingIssue } from '../train/settings';
import type { BaseStorage, WeightStorage } from '../model/quant/storage';
import type { MetricsHistory, ProgressEvent, ValidationRecord } from '../train/metrics';
import type { FolderFile, ModelFormat } from './engine-types';
import type { Spec } from './request-spec';

/**
 * The base a run trains: a model shipped with the studio (refetched on resume), or a GGUF file or a Hugging Face
 * folder the user opened (asked for again on resume after a reload, and checked to be the same base).
 */
export type TrainModelSource =
  | { kind: 'bundled'; id: string; format: ModelFormat }
  | { kind: 'gguf-file'; file: File }
  /** The Playground's folder shape (engine-types' ModelSource), so one pick of the user's files serves both views. */
  | { kind: 'folder'; label: string; files: FolderFile[] }
  /** A complete entry of the Hub download cache (OPFS): reopened by key, so a resume needs nothing from the user. */
  | { kind: 'cached'; key: string; label: string };

/**
 * How a new run reads and splits its file: the Datasets view's settings when the run trains the file open there
 * (shape, column mapping, bad rows, split), else the defaults with `split` null (the Train form's validation share
 * and seed). Kept with the run's copy of the file, so a resume reads it the same way.
 */
export interface TrainDatasetSettings extends DatasetReadSettings {
  split: SplitOptions | null;
}

/** Generations from fixed prompts with the adapter as it is, every `every` optimizer steps (0 = never). */
export interface SampleSettings {
  prompts: string[];
  every: number;
  maxTokens: number;
}

/** What `train-start` carries. */
export interface TrainStartRequest {
  runId: string;
  /** Names the adapter the run adds to the library. */
  runName: string;
  model: TrainModelSource;
  /** Ignored on resume (as is `dataset`): the run's copy in OPFS is used, read with its saved settings. */
  data: DatasetSource;
  dataset: TrainDatasetSettings;
  config: TrainingConfig;
  resume: boolean;
  samples: SampleSettings;
  /** Bytes the run may use, when the studio knows a budget. */
  budgetBytes?: number;
}

/** Pause (checkpoint, keep the run resumable) or stop (checkpoint, save the adapter) after the current step. */
export interface TrainControlMessage {
  runId: string;
  action: 'pause' | 'stop';
}


/** Why a run could not start or stopped early; `checkpointStep` says what a resume would continue from. */
export type TrainFailureKind =
  | 'config'
  | 'data'
  | 'model'
  | 'memory'
  | 'non-finite'
  | 'device-lost'
  | 'interrupted'
  | 'checkpoint'
  | 'internal';

export interface TrainFailure {
  kind: TrainFailureKind;
  message: string;
  /** The setting at fault, by its TrainingConfig key ('learningRate', 'seqLen', …), for 'config'. */
  setting?: string;
  /** For 'config': the problem as data, so the studio words it with its own labels (`message` uses keys). */
  issue?: SettingIssue;
  checkpointStep: number | null;
}

export interface TrainOutcome {
  stopReason: 'completed' | 'early-stopped' | 'aborted' | 'paused';
  steps: number;
  totalSteps: number;
  bestValLoss: number | null;
  bestStep: number | null;
  finalValLoss: number | null;
  finalTrainLoss: number;
  /** The adapter library entry made from this run (finished or stopped runs), else null. */
  adapterId: string | null;
  adapterStep: number;
  /** Set when the run ended but the adapter could not be kept. */
  adapterProblem: string | null;
  tokensPerSecond: number;
  elapsedSeconds: number;
  peakBytes: number;
  estimatedBytes: number;
}

export interface TrainModelInfo {
  name: string;
  config: ModelConfig;
  /** How its linear weights sit on the GPU without QLoRA (its file's format: a quantized GGUF stays quantized). */
  weights: WeightStorage;
  /** Linear weights, embedding and head as stored, for the memory estimate (QLoRA applied by the form). */
  storage: BaseStorage;
}

/** The run is set up (data read, checkpoint found): what it trains on and where it starts. */
export interface TrainStartedEvent {
  kind: 'train-started';
  runId: string;
  datasetName: string;
  trainExamples: number;
  validationExamples: number;
  /** The file is larger than one shuffle window and streams: `trainExamples` counts its first window only. */
  streamed: boolean;
  /** The step the run continues from (0 for a new run), and the history the checkpoint kept. */
  fromStep: number;
  history: MetricsHistory;
}

/** Progress of optimizer steps and validations (batched so the page hears at most ten times a second). */
export interface TrainProgressEvent {
  kind: 'train-progress';
  runId: string;
  steps: ProgressEvent[];
  /** Every validation, the baseline before the first step included. */
  validations: ValidationRecord[];
}

/** The data pipeline's progress (rows read and tokenized, share of the file, its tokens/s, bad rows met). */
export interface TrainDataEvent {
  kind: 'train-data';
  runId: string;
  data: DataProgress;
}

export interface TrainSample {
  prompt: string;
  text: string;
}

export interface TrainSampleEvent {
  kind: 'train-sample';
  runId: string;
  step: number;
  samples: TrainSample[];
}

/** The session's notices about the data come as data (the studio words them); the worker's own, in words. */
export type RunNotice = SessionNotice | { kind: 'message'; message: string };

export interface TrainNoticeEvent {
  kind: 'train-notice';
  runId: string;
  notice: RunNotice;
}

export type TrainEvent = TrainStartedEvent | TrainProgressEvent | TrainDataEvent | TrainSampleEvent | TrainNoticeEvent;

/** kind → what the request carries, its reply, and the events it sends before the reply. */
export interface TrainRequests {
  /** Fails with a TrainFailure (domain 'train'), which says what a resume would continue from. */
  'train-start': Spec<TrainStartRequest, TrainOutcome, TrainEvent>;
  /** The base's architecture (for the memory estimate and the rank check), read from its header; no GPU. */
  'train-inspect': Spec<{ model: TrainModelSource }, TrainModelInfo>;
  /** Removes a run's files (checkpoints, dataset copy) from OPFS. */
  'train-delete-files': Spec<{ runId: string }, null>;
  /**
   * The run the form describes as an Axolotl config, a TRL script and its split dataset (export/handoff-run.ts),
   * zipped; nothing is trained. Fails with a TrainFailure of kind 'config', 'data' or 'model'.
   */
  'train-handoff': Spec<TrainHandoffRequest, Blob>;
}

export interface TrainHandoffRequest {
  runName: string;
  model: TrainModelSource;
  data: DatasetSource;
  dataset: TrainDatasetSettings;
  config: TrainingConfig;
}

/** Messages without a reply. */
export interface TrainNotices {
  'train-control': TrainControlMessage;
}
