/**
 * The messages between the studio (main thread) and the engine worker, all derived from one map: `EngineRequests`
 * (kind → parameters, reply and events, see request-spec.ts), joined from the core requests below and each
 * domain's own map (`DatasetRequests`, `TrainRequests`, `LibraryRequests`, `CompareRequests`, `HubRequests`).
 * The worker's router (router.ts) is a `Record` over its kinds, so a kind without a handler does not type-check,
 * and the client's `call` (client.ts) takes the same kinds. Everything here is structured-clone safe: plain data,
 * plus the user's File objects (which the browser clones as handles, not bytes).
 *
 * The wire:
 * - request `{kind, id, ...params}`; notice (no reply) `{kind, ...params}`, e.g. `{kind: 'cancel', target}`;
 * - reply `{kind, id, ok: true, value}`, or the one failure envelope `{kind, id, ok: false, error}` (engine-error.ts);
 * - event `{kind, ...fields}`: never a field named `id` (the client would take it for a reply; checked below) —
 *   events of one request name it `requestId`, those of a training run its `runId`.
 */
import type { AdapterReport } from '../gpu/device';
import type { CompareRequests } from './compare-protocol';
import type { DatasetRequests } from './dataset-protocol';
import type { EngineErrorDetail } from './engine-error';
import type {
  BundledModel,
  DeviceLoss,
  GenerateSettings,
  GenerationOutcome,
  GenerationProgress,
  ModelSource,
  ModelSummary,
} from './engine-types';
import type { HubRequests } from './hub-protocol';
import type { LibraryRequests } from './library-protocol';
import type { NoParams, Spec } from './request-spec';
import type { TrainNotices, TrainRequests } from './train-protocol';

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

/** A token of generation `requestId`. */
export interface TokenEvent {
  kind: 'token';
  requestId: number;
  progress: GenerationProgress;
}

/** The device worked and then went away; sent to every listener, outside any request. */
export interface DeviceLostEvent {
  kind: 'device-lost';
  loss: DeviceLoss;
}

/** Models and generation. Failures carry a TaskProblem (domain 'task'), or an EngineFailure (domain 'device'). */
export interface CoreRequests {
  /** Acquire the device if not yet done, and answer with what was granted. */
  probe: Spec<NoParams, AdapterReport>;
  /** The models shipped with the studio (needs no GPU). */
  'list-models': Spec<NoParams, BundledModel[]>;
  /** Frees the loaded model (if any), then loads this one onto the GPU. */
  'load-model': Spec<{ source: ModelSource }, ModelSummary>;
  /** Continues a prompt with the loaded model, streaming `token` events; a cancel stops it after its current token. */
  generate: Spec<{ settings: GenerateSettings }, GenerationOutcome, TokenEvent>;
}

export interface EngineRequests
  extends CoreRequests, DatasetRequests, TrainRequests, LibraryRequests, CompareRequests, HubRequests {}

export type RequestKind = keyof EngineRequests;
export type ParamsOf<K extends RequestKind> = EngineRequests[K]['params'];
export type ReplyOf<K extends RequestKind> = EngineRequests[K]['reply'];
export type EventOf<K extends RequestKind> = EngineRequests[K]['event'];

/** Messages without a reply. */
export interface EngineNotices extends TrainNotices {
  /** Stops request `target` (a generation, queued or running, a dataset read, a comparison, a download). */
  cancel: { target: number };
}

export type NoticeKind = keyof EngineNotices;

// Main thread → worker.

export type RequestMessage<K extends RequestKind = RequestKind> = { [P in K]: { kind: P; id: number } & ParamsOf<P> }[K];
export type NoticeMessage<K extends NoticeKind = NoticeKind> = { [P in K]: { kind: P } & EngineNotices[P] }[K];
export type ToEngine = RequestMessage | NoticeMessage;

// Worker → main thread.

export type SuccessReply<K extends RequestKind = RequestKind> = { [P in K]: { kind: P; id: number; ok: true; value: ReplyOf<P> } }[K];

/** The one failure envelope of every request; `kind` echoes the request's (which may be one the worker lacks). */
export interface FailureReply {
  kind: string;
  id: number;
  ok: false;
  error: EngineErrorDetail;
}

export type EngineReply = SuccessReply | FailureReply;
export type EngineEvent = EventOf<RequestKind> | DeviceLostEvent;
export type FromEngine = EngineReply | EngineEvent;

/** Compile-time check of the rule above: an event with an `id` field makes this `false`, and the line fails. */
type EventsWithId = Extract<EngineEvent, { id: unknown }>;
export type EventsCarryNoId = Expect<[EventsWithId] extends [never] ? true : false>;
type Expect<T extends true> = T;
