/**
 * The worker's dispatch: a message's `kind` picks its handler from one Record over every request kind (no prefix
 * matching), the handler's return value becomes the success reply and anything it throws the one failure reply.
 * A kind with no handler, or a message without a kind, is answered with a 'protocol' failure rather than dropped.
 * The router also owns cancellation: each request gets an AbortSignal that a `cancel` notice naming it aborts.
 * No `self` here, so Node tests drive it directly.
 */
import type { NoticeHandlers, RequestHandlers } from './domains';
import { EngineError, type EngineErrorDetail } from './engine-error';
import type { FromEngine, NoticeKind, NoticeMessage, RequestKind, RequestMessage } from './protocol';

/** `requests` covers every kind in the worker (engine.worker.ts declares it as the full Record); tests give fewer. */
export interface RouterOptions<K extends RequestKind> {
  requests: RequestHandlers<K>;
  notices: NoticeHandlers;
  post(message: FromEngine): void;
  /** The detail of an error a handler threw that is not an EngineError (a bug, most likely). */
  unexpected(error: unknown): EngineErrorDetail;
}

/** Returns the function to call with every message the worker receives; it settles once the message is answered. */
export function createRouter<K extends RequestKind>(options: RouterOptions<K>): (data: unknown) => Promise<void> {
  const { requests, notices, post } = options;
  /** Requests asked and not yet answered, so a cancel reaches them even while they wait for the GPU queue. */
  const controllers = new Map<number, AbortController>();

  const isRequest = (kind: string): kind is K => Object.hasOwn(requests, kind);
  const isNotice = (kind: string): kind is Exclude<NoticeKind, 'cancel'> => Object.hasOwn(notices, kind);

  async function answer<P extends K>(kind: P, message: RequestMessage<P>): Promise<void> {
    const controller = new AbortController();
    controllers.set(message.id, controller);
    try {
      const handler = requests[kind];
      const value = await handler(message, { signal: controller.signal });
      post({ kind, id: message.id, ok: true, value } as FromEngine);
    } catch (error) {
      const detail = error instanceof EngineError ? error.detail : options.unexpected(error);
      post({ kind, id: message.id, ok: false, error: detail });
    } finally {
      if (controllers.get(message.id) === controller) controllers.delete(message.id);
    }
  }

  function notify<N extends Exclude<NoticeKind, 'cancel'>>(kind: N, message: NoticeMessage<N>): void {
    const handler: (notice: NoticeMessage<N>) => void = notices[kind];
    handler(message);
  }

  return async (data) => {
    const kind = fieldOf(data, 'kind');
    const id = fieldOf(data, 'id');
    const requestId = typeof id === 'number' ? id : -1;
    if (typeof kind !== 'string') {
      const error = { domain: 'protocol', kind: 'bad-message', message: 'A message to the engine had no kind.' } as const;
      post({ kind: String(kind), id: requestId, ok: false, error });
      return;
    }
    // Past the kind and id, the fields are trusted: the studio's own code built them from the same types.
    if (kind === 'cancel') {
      const target = fieldOf(data, 'target');
      if (typeof target === 'number') controllers.get(target)?.abort();
      return;
    }
    if (isNotice(kind)) return notify(kind, data as NoticeMessage<typeof kind>);
    if (isRequest(kind) && typeof id === 'number') return answer(kind, data as RequestMessage<typeof kind>);
    const message = isRequest(kind) ? `The engine request '${kind}' had no id.` : `Unknown engine request '${kind}'.`;
    post({ kind, id: requestId, ok: false, error: { domain: 'protocol', kind: isRequest(kind) ? 'bad-message' : 'unknown-kind', message } });
  };
}

function fieldOf(data: unknown, name: string): unknown {
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[name] : undefined;
}
