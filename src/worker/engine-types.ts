/**
 * The engine's value types that travel in messages: failures, models, generation settings and results, task
 * problems. The message unions live in protocol.ts (which re-exports these); domain protocols (train, library,
 * compare, hub) import from here, so protocol.ts can import them without a cycle.
 */
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
  | { kind: 'folder'; label: string; files: FolderFile[] }
  /** A complete entry of the Hub download cache (OPFS), by its key (src/hub/cache-manifest.ts); no network. */
  | { kind: 'cached'; key: string };

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
