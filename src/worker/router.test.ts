/**
 * The worker's dispatch without a worker: a Record of handlers over kinds, replies and failures in the one
 * envelope, unknown kinds answered (not dropped), and `cancel` reaching the request it names.
 */
import { describe, expect, it } from 'vitest';
import type { RequestContext, RequestHandlers } from './domains';
import { EngineError } from './engine-error';
import type { FromEngine } from './protocol';
import { createRouter } from './router';

const unexpected = (error: unknown) => ({ domain: 'task' as const, kind: 'internal' as const, message: `unexpected: ${String(error)}` });

type HubKinds = 'hub-list' | 'hub-delete' | 'hub-model-card';

function routerWith(overrides: Partial<RequestHandlers<HubKinds>> = {}) {
  const posted: FromEngine[] = [];
  const controls: unknown[] = [];
  const requests: RequestHandlers<HubKinds> = {
    'hub-list': overrides['hub-list'] ?? (async () => ({ entries: [], totalBytes: 0 })),
    'hub-delete': async ({ key }) => {
      throw new EngineError({ domain: 'hub', kind: 'bad-input', message: `refused ${key}` });
    },
    'hub-model-card': async () => {
      throw new TypeError('a bug');
    },
  };
  const receive = createRouter({
    requests,
    notices: { 'train-control': (notice) => controls.push(notice) },
    post: (message) => posted.push(message),
    unexpected,
  });
  return { receive, posted, controls };
}

describe('worker router', () => {
  it("answers a request with its handler's value under the request's kind and id", async () => {
    const { receive, posted } = routerWith();
    await receive({ kind: 'hub-list', id: 3 });
    expect(posted).toEqual([{ kind: 'hub-list', id: 3, ok: true, value: { entries: [], totalBytes: 0 } }]);
  });

  it("answers a thrown EngineError with its detail, and any other error with the router's 'unexpected' detail", async () => {
    const { receive, posted } = routerWith();
    await receive({ kind: 'hub-delete', id: 4, key: 'k' });
    await receive({ kind: 'hub-model-card', id: 5 });
    expect(posted).toEqual([
      { kind: 'hub-delete', id: 4, ok: false, error: { domain: 'hub', kind: 'bad-input', message: 'refused k' } },
      { kind: 'hub-model-card', id: 5, ok: false, error: { domain: 'task', kind: 'internal', message: 'unexpected: TypeError: a bug' } },
    ]);
  });

  it('answers a kind it has no handler for with an unknown-kind failure, never silence', async () => {
    const { receive, posted } = routerWith();
    await receive({ kind: 'hub-frobnicate', id: 9 });
    // Prefix-looking kinds get no special treatment: 'hub-' is not a route.
    await receive({ kind: 'hub-', id: 10 });
    await receive({ kind: 'toString', id: 11 });
    await receive({ id: 12 });
    expect(posted).toEqual([
      { kind: 'hub-frobnicate', id: 9, ok: false, error: { domain: 'protocol', kind: 'unknown-kind', message: "Unknown engine request 'hub-frobnicate'." } },
      { kind: 'hub-', id: 10, ok: false, error: { domain: 'protocol', kind: 'unknown-kind', message: "Unknown engine request 'hub-'." } },
      { kind: 'toString', id: 11, ok: false, error: { domain: 'protocol', kind: 'unknown-kind', message: "Unknown engine request 'toString'." } },
      { kind: 'undefined', id: 12, ok: false, error: { domain: 'protocol', kind: 'bad-message', message: 'A message to the engine had no kind.' } },
    ]);
  });

  it('answers a request without an id with a failure rather than running it', async () => {
    const { receive, posted } = routerWith();
    await receive({ kind: 'hub-list' });
    expect(posted).toEqual([
      { kind: 'hub-list', id: -1, ok: false, error: { domain: 'protocol', kind: 'bad-message', message: "The engine request 'hub-list' had no id." } },
    ]);
  });

  it('a cancel aborts the signal of the request it names, and no other', async () => {
    const signals = new Map<number, RequestContext['signal']>();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { receive, posted } = routerWith({
      'hub-list': async (request, { signal }) => {
        signals.set(request.id, signal);
        await gate;
        return { entries: [], totalBytes: signal.aborted ? 1 : 0 };
      },
    });
    const first = receive({ kind: 'hub-list', id: 1 });
    const second = receive({ kind: 'hub-list', id: 2 });
    await receive({ kind: 'cancel', target: 2 });
    await receive({ kind: 'cancel', target: 99 });
    expect(signals.get(1)?.aborted).toBe(false);
    expect(signals.get(2)?.aborted).toBe(true);
    release();
    await Promise.all([first, second]);
    expect(posted.map((m) => ('ok' in m && m.ok ? [m.id, m.value] : m))).toEqual([
      [1, { entries: [], totalBytes: 0 }],
      [2, { entries: [], totalBytes: 1 }],
    ]);
  });

  it('hands notices to their handler and answers nothing', async () => {
    const { receive, posted, controls } = routerWith();
    await receive({ kind: 'train-control', runId: 'r', action: 'pause' });
    expect(controls).toEqual([{ kind: 'train-control', runId: 'r', action: 'pause' }]);
    expect(posted).toEqual([]);
  });
});
