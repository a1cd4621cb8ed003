/**
 * The engine worker's Hub requests (`HubRequests`, joined into the one map in protocol.ts). Downloads from the
 * Hugging Face Hub (or a mirror) into the OPFS cache run in the worker, with byte progress as events; the cache is
 * listed and pruned here too, and the loaded model's card gets its training-memory figures from here. Failures are
 * failure replies carrying a HubProblem (domain 'hub').
 */
import type { CacheListing } from '../hub/cache-list';
import type { HubErrorKind } from '../hub/errors';
import type { CacheEntryInfo, DownloadProgress, HubModelRequest } from '../hub/types';
import type { NoParams, Spec } from './request-spec';

/** Why a hub request failed (HubError's kinds), plus 'no-model' for a card without a loaded model and 'internal'. */
export type HubProblemKind = HubErrorKind | 'no-model' | 'internal';

export interface HubProblem {
  kind: HubProblemKind;
  message: string;
}

export interface HubDownloadRequest {
  request: HubModelRequest;
}

export interface HubDownloaded {
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
  /** The loaded model's name, so a card that arrives after another load can be told apart. */
  model: string;
  /** The default settings first; then the lighter variants worth knowing (QLoRA NF4, checkpointing). */
  training: TrainingMemoryFigure[];
}

/** kind → what the request carries, its reply, and the events it sends before the reply. */
export interface HubRequests {
  /**
   * Downloads (or resumes) a model into the cache; a complete entry answers at once without the network. A
   * `cancel` naming it stops it, with a failure of kind 'cancelled'.
   */
  'hub-download': Spec<HubDownloadRequest, HubDownloaded, HubProgressEvent>;
  'hub-list': Spec<NoParams, CacheListing>;
  /** Removes one entry (refused while it is downloading); answers with the listing after. */
  'hub-delete': Spec<{ key: string }, CacheListing>;
  /** Training-memory figures for the loaded model with the default training settings. */
  'hub-model-card': Spec<NoParams, HubModelCard>;
}
