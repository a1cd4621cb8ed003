/**
 * Messages of the engine worker's 'train-' domain (see domains.ts): every kind starts with 'train-'. A run is
 * started (or resumed) with `train-start`, whose one reply, `train-ended`, comes when the run stops for any reason;
 * in between the worker sends events named by the run's `runId` (never `id`: see domains.ts).
 */
import type { ModelConfig } from '../model/config';
import type { TrainingConfig } from '../train/config';
import type { WeightStorage } from '../train/memory-estimate';
import type { MetricsHistory, ProgressEvent, ValidationRecord } from '../train/metrics';
import type { ModelFormat } from './engine-types';

/**
 * The base a run trains: a model shipped with the studio (refetched on resume), or a GGUF file the user opened
 * (asked for again on resume after a reload, and checked to be the same base).
 */
export type TrainModelSource =
  | { kind: 'bundled'; id: string; format: ModelFormat }
  | { kind: 'gguf-file'; file: File }
  /** A complete entry of the Hub download cache (OPFS): reopened by key, so a resume needs nothing from the user. */
  | { kind: 'cached'; key: string; label: string };

/** The dataset of a new run: the bundled sample or a file the user gave. A resumed run reads its own copy. */
export type TrainDataSource = { kind: 'sample' } | { kind: 'file'; file: File };

/** Generations from fixed prompts with the adapter as it is, every `every` optimizer steps (0 = never). */
export interface SampleSettings {
  prompts: string[];
  every: number;
  maxTokens: number;
}

export interface TrainStartRequest {
  kind: 'train-start';
  id: number;
  runId: string;
  /** Names the adapter the run adds to the library. */
  runName: string;
  model: TrainModelSource;
  /** Ignored on resume: the run's copy in OPFS is used. */
  data: TrainDataSource;
  config: TrainingConfig;
  resume: boolean;
  samples: SampleSettings;
  /** Bytes the run may use, when the studio knows a budget. */
  budgetBytes?: number;
}

/** Pause (checkpoint, keep the run resumable) or stop (checkpoint, save the adapter) after the current step. */
export interface TrainControlMessage {
  kind: 'train-control';
  runId: string;
  action: 'pause' | 'stop';
}

/** The base's architecture (for the memory estimate and the rank check), read from its header; no GPU. */
export interface TrainInspectRequest {
  kind: 'train-inspect';
  id: number;
  model: TrainModelSource;
}

/** Removes a run's files (checkpoints, dataset copy) from OPFS. */
export interface TrainDeleteFilesRequest {
  kind: 'train-delete-files';
  id: number;
  runId: string;
}

export type TrainToEngine = TrainStartRequest | TrainControlMessage | TrainInspectRequest | TrainDeleteFilesRequest;

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
  /** The setting at fault, by its CLI name ('lr', 'rank', …), for 'config'. */
  setting?: string;
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
  /** How its linear weights sit on the GPU without QLoRA (a quantized GGUF stays quantized). */
  weights: WeightStorage;
}

export interface TrainEnded {
  kind: 'train-ended';
  id: number;
  result: { ok: true; outcome: TrainOutcome } | { ok: false; failure: TrainFailure };
}

export interface TrainInspected {
  kind: 'train-inspected';
  id: number;
  result: { ok: true; info: TrainModelInfo } | { ok: false; message: string };
}

export interface TrainFilesDeleted {
  kind: 'train-files-deleted';
  id: number;
}

/** The run is set up (data read, checkpoint found): what it trains on and where it starts. */
export interface TrainStartedEvent {
  kind: 'train-started';
  runId: string;
  datasetName: string;
  trainExamples: number;
  validationExamples: number;
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

export interface TrainNoticeEvent {
  kind: 'train-notice';
  runId: string;
  message: string;
}

export type TrainFromEngine =
  | TrainEnded
  | TrainInspected
  | TrainFilesDeleted
  | TrainStartedEvent
  | TrainProgressEvent
  | TrainSampleEvent
  | TrainNoticeEvent;
