/**
 * What the worker's request handlers are and what they share. Each domain (models and generation in
 * engine.worker.ts, datasets, train, library, compare, hub) exports the handlers of its kinds of the request map
 * (protocol.ts); engine.worker.ts joins them into one `RequestHandlers`, a Record over every kind, so a kind left
 * without a handler does not type-check. A handler answers by returning its reply and fails by throwing an
 * EngineError (engine-error.ts) carrying its domain's problem; the router (router.ts) posts either.
 */
import type { GpuContext } from '../gpu/context';
import type { ModelSession } from './model-session';
import type { EngineEvent, NoticeKind, NoticeMessage, ReplyOf, RequestKind, RequestMessage } from './protocol';

/** What the worker shares with its domain handlers. */
export interface WorkerServices {
  /** The device's context, acquired on first use (rejects with WebGPUUnavailableError when there is none). */
  getEngine(): Promise<GpuContext>;
  /** The loaded model, if any. */
  session(): ModelSession | null;
  /** Sends an event (never a reply: a handler's reply is what it returns). */
  post(event: EngineEvent): void;
  /** Runs `task` after every load/generation asked before it (GPU work that must not overlap). */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
}

/** What the router gives a handler besides its message. */
export interface RequestContext {
  /** Aborted by a `cancel` notice naming this request. */
  signal: AbortSignal;
}

export type Handler<K extends RequestKind> = (request: RequestMessage<K>, context: RequestContext) => Promise<ReplyOf<K>>;

/** One handler per kind of `K`; with every kind, what the router needs. */
export type RequestHandlers<K extends RequestKind = RequestKind> = { [P in K]: Handler<P> };

/** Handlers of the notices other than `cancel` (which the router handles itself). */
export type NoticeHandlers = { [P in Exclude<NoticeKind, 'cancel'>]: (notice: NoticeMessage<P>) => void };
