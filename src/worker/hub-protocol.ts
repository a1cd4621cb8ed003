/**
 * Messages of the engine worker's 'hub-' domain (see domains.ts): every kind starts with 'hub-'. Downloads from the
 * Hugging Face Hub (or a mirror) into the OPFS cache run in the worker, with byte progress as events; the cache is
 * listed and pruned here too, and the loaded model's card gets its training-memory figures from here.
 */
import type { CacheListing } from '../hub/cache-list';
import type { HubErrorKind } from '../hub/errors';
import type { CacheEntryInfo, DownloadProgress, HubModelRequest } from '../hub/types';

/** Why a hub request failed (HubError's kinds), plus 'no-model' for a card without a loaded model and 'internal'. */
export type HubProblemKind = HubErrorKind | 'no-model' | 'internal';

export interface HubProblem {
  kind: HubProblemKind;
  message: string;
}

/** Downloads (or resumes) a model into the cache; a complete entry answers at once without the network. */
export interface HubDownloadRequest {
  kind: 'hub-download';
  id: number;
  request: HubModelRequest;
}

/** Stops the download started by request `target`; it answers 'hub-failed' with kind 'cancelled'. */
export interface HubCancelMessage {
  kind: 'hub-cancel';
  target: number;
}

export interface HubListRequest {
  kind: 'hub-list';
  id: number;
}

/** Removes one entry (refused while it is downloading); answers with the listing after. */
export interface HubDeleteRequest {
  kind: 'hub-delete';
  id: number;
  key: string;
}

/** Training-memory figures for the loaded model with the default training settings. */
export interface HubModelCardRequest {
  kind: 'hub-model-card';
  id: number;
}

export type HubToEngine = HubDownloadRequest | HubCancelMessage | HubListRequest | HubDeleteRequest | HubModelCardRequest;

export interface HubDownloaded {
  kind: 'hub-downloaded';
  id: number;
  entry: CacheEntryInfo;
  /** Already complete in the cache: nothing was fetched. */
  fromCache: boolean;
}

/** Progress of download `requestId` (an event: no `id`), at most ten a second. */
export interface HubProgressEvent {
  kind: 'hub-progress';
  requestId: number;
  progress: DownloadProgress;
}

export interface HubListed {
  kind: 'hub-listed';
  id: number;
  listing: CacheListing;
}

/** One training setup and the GPU bytes the estimator predicts for it on the loaded model. */
export interface TrainingMemoryFigure {
  /** e.g. "LoRA rank 8 on q,k,v,o,gate,up,down, 4 × 256 tokens, F32 base". */
  settings: string;
  totalBytes: number;
  weightBytes: number;
  adapterBytes: number;
  activationBytes: number;
  scratchBytes: number;
}

export interface HubModelCard {
  kind: 'hub-model-card-ready';
  id: number;
  /** The loaded model's name, so a card that arrives after another load can be told apart. */
  model: string;
  /** The default settings first; then the lighter variants worth knowing (QLoRA NF4, checkpointing). */
  training: TrainingMemoryFigure[];
}

export interface HubFailed {
  kind: 'hub-failed';
  id: number;
  problem: HubProblem;
}

export type HubFromEngine = HubDownloaded | HubProgressEvent | HubListed | HubModelCard | HubFailed;
