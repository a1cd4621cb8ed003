/**
 * The messages between the studio (main thread) and the engine worker. Every kind carries its own payload type,
 * so both sides narrow on `kind` and never cast. Everything here is structured-clone safe: plain data, plus the
 * user's File objects (which the browser clones as handles, not bytes).
 */
import type { AdapterReport } from '../gpu/device';
import type {
  DatasetFailure,
  DatasetProgress,
  DatasetSettings,
  DatasetSource,
  DatasetSummary,
} from './dataset-protocol';
import type { CompareFromEngine, CompareToEngine } from './compare-protocol';
import type { HubFromEngine, HubToEngine } from './hub-protocol';
import type { LibraryFromEngine, LibraryToEngine } from './library-protocol';
import type { TrainFromEngine, TrainToEngine } from './train-protocol';

export type {
  UnavailableReason,
  EngineFailure,
  DeviceLoss,
  ModelFormat,
  BundledFile,
  BundledModel,
  FolderFile,
  ModelSource,
  ModelSummary,
  SamplingSettings,
  GenerateSettings,
  StopReason,
  GenerationProgress,
  GenerationOutcome,
  TaskProblemKind,
  TaskProblem,
} from './engine-types';
import type {
  EngineFailure,
  DeviceLoss,
  BundledModel,
  ModelSource,
  ModelSummary,
  GenerateSettings,
  GenerationProgress,
  GenerationOutcome,
  TaskProblem,
} from './engine-types';

// Main thread → worker.

/** Acquire the device if not yet done, and answer with what was granted. */
export interface ProbeRequest {
  kind: 'probe';
  id: number;
}

/** The models shipped with the studio (needs no GPU). */
export interface ListModelsRequest {
  kind: 'list-models';
  id: number;
}

/** Frees the loaded model (if any), then loads this one onto the GPU. */
export interface LoadModelRequest {
  kind: 'load-model';
  id: number;
  source: ModelSource;
}

/** Continues a prompt with the loaded model; streams `token` events with this id, then answers `done`. */
export interface GenerateRequest {
  kind: 'generate';
  id: number;
  settings: GenerateSettings;
}

/** Stops the generation started by request `target` after its current token; it still answers `done`. */
export interface CancelMessage {
  kind: 'cancel';
  target: number;
}

/** Reads a dataset file in the worker (streamed, with `dataset-progress` events) and summarises it. */
export interface OpenDatasetRequest {
  kind: 'open-dataset';
  id: number;
  source: DatasetSource;
  settings: DatasetSettings;
}

/** New settings for the dataset already open: re-read only when the shape, mapping or bad-row choice changed. */
export interface UpdateDatasetRequest {
  kind: 'update-dataset';
  id: number;
  settings: DatasetSettings;
}

export type ToEngine =
  | ProbeRequest
  | ListModelsRequest
  | LoadModelRequest
  | GenerateRequest
  | CancelMessage
  | OpenDatasetRequest
  | UpdateDatasetRequest
  | TrainToEngine
  | LibraryToEngine
  | CompareToEngine
  | HubToEngine;

// Worker → main thread: replies carry the id of their request; events have none, except `token`, which carries
// the id of the generation it belongs to.

export interface ProbeReply {
  kind: 'probe-result';
  id: number;
  report: AdapterReport;
}

export interface ModelsListed {
  kind: 'models-listed';
  id: number;
  models: BundledModel[];
}

export interface ModelLoaded {
  kind: 'model-loaded';
  id: number;
  summary: ModelSummary;
}

export interface GenerationDone {
  kind: 'done';
  id: number;
  outcome: GenerationOutcome;
}

/** The device could not be had (the request needed one). */
export interface RequestFailed {
  kind: 'request-failed';
  id: number;
  failure: EngineFailure;
}

export interface TaskFailed {
  kind: 'task-failed';
  id: number;
  problem: TaskProblem;
}

export interface TokenEvent {
  kind: 'token';
  id: number;
  progress: GenerationProgress;
}

export interface DeviceLostEvent {
  kind: 'device-lost';
  loss: DeviceLoss;
}

export interface DatasetReady {
  kind: 'dataset-ready';
  id: number;
  summary: DatasetSummary;
}

/** The file (or the settings) cannot give a dataset; `failure` says why, naming the line where there is one. */
export interface DatasetFailed {
  kind: 'dataset-failed';
  id: number;
  failure: DatasetFailure;
}

export interface DatasetProgressEvent {
  kind: 'dataset-progress';
  id: number;
  progress: DatasetProgress;
}

export type EngineReply =
  | ProbeReply
  | ModelsListed
  | ModelLoaded
  | GenerationDone
  | RequestFailed
  | TaskFailed
  | DatasetReady
  | DatasetFailed;
/** Messages of the domains in domains.ts: replies carry their request's id, events a kind the client subscribes to. */
export type DomainFromEngine = TrainFromEngine | LibraryFromEngine | CompareFromEngine | HubFromEngine;
export type FromEngine = EngineReply | TokenEvent | DeviceLostEvent | DatasetProgressEvent | DomainFromEngine;
