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

/**
 * Why the engine has no device: the first three come from `acquireDevice`; 'worker-failed' means the worker
 * itself could not start or crashed; 'internal' is any other error inside the engine.
 */
export type UnavailableReason = 'no-webgpu' | 'no-adapter' | 'device-failed' | 'worker-failed' | 'internal';

export interface EngineFailure {
  reason: UnavailableReason;
  message: string;
  /** WebGPU exists only in secure contexts (https, localhost), the most common cause of a missing navigator.gpu. */
  secureContext: boolean;
}

/** A device that worked and then went away (driver reset, GPU process crash, out of memory). */
export interface DeviceLoss {
  reason: 'unknown' | 'destroyed';
  message: string;
}

// Models.

export type ModelFormat = 'gguf' | 'hf';

/** One file of a model shipped with the studio, under `models/<id>/` on the studio's own origin. */
export interface BundledFile {
  path: string;
  bytes: number;
}

/** An entry of `public/models/index.json`. */
export interface BundledModel {
  id: string;
  name: string;
  description: string;
  license: string;
  formats: { format: ModelFormat; label: string; files: BundledFile[] }[];
}

/** A file of a model folder, with its path inside the folder as the user gave it ("SmolLM2/config.json"). */
export interface FolderFile {
  path: string;
  file: File;
}

export type ModelSource =
  | { kind: 'bundled'; id: string; format: ModelFormat }
  | { kind: 'gguf-file'; file: File }
  | { kind: 'folder'; label: string; files: FolderFile[] };

/** What the studio shows about the loaded model. Counts are plain numbers; bytes are bytes. */
export interface ModelSummary {
  name: string;
  format: ModelFormat;
  architecture: string;
  layers: number;
  hiddenSize: number;
  intermediateSize: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  /** Tokens the KV cache holds in this session (the file's context, capped to keep the cache small). */
  contextLength: number;
  /** The context the file declares. */
  fileContextLength: number;
  /** Weights as stored in the file(s), one count per tensor (a separate LM head counts, a tied one does not). */
  parameters: number;
  /** Bytes the weights take on the GPU. */
  weightBytes: number;
  /** Bytes of KV cache and activations the session holds on the GPU. */
  cacheBytes: number;
  /** Every storage type among the weights, e.g. ["F32"] or ["Q4_0", "F32"]. */
  quantization: string[];
  tiedEmbeddings: boolean;
  /** Whose chat template the Chat toggle uses: the model's own, ChatML, or a plain fallback. */
  chatTemplate: 'model' | 'chatml' | 'plain';
  /** Problems worth showing that did not stop loading. */
  warnings: string[];
  loadMilliseconds: number;
}

// Generation.

export interface SamplingSettings {
  greedy: boolean;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  seed: number;
}

export interface GenerateSettings {
  prompt: string;
  /** Wrap the prompt as a user turn in the model's chat template. */
  chat: boolean;
  maxTokens: number;
  sampling: SamplingSettings;
}

export type StopReason = 'eos' | 'stop-string' | 'max-tokens' | 'context' | 'aborted';

export interface GenerationProgress {
  /** The generated text so far that is safe to show (complete characters). */
  text: string;
  tokens: number;
  /** Decode speed so far; null until two tokens have been made. */
  tokensPerSecond: number | null;
}

export interface GenerationOutcome {
  text: string;
  tokens: number;
  promptTokens: number;
  stopReason: StopReason;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  milliseconds: number;
}

/**
 * A request the engine understood but could not carry out. 'model-format': a file is not what it claims (the
 * message starts with the file's name); 'bundled-unavailable': a shipped model could not be fetched;
 * 'no-model': generate before any load; 'prompt', 'sampling', 'chat-template': bad input; 'gpu': the device
 * refused (out of memory, validation); 'internal': a bug.
 */
export type TaskProblemKind =
  | 'model-format'
  | 'bundled-unavailable'
  | 'no-model'
  | 'prompt'
  | 'sampling'
  | 'chat-template'
  | 'gpu'
  | 'internal';

export interface TaskProblem {
  kind: TaskProblemKind;
  message: string;
}

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
