/**
 * The studio's client against the worker's router in one process (a fake Worker passes structured clones both
 * ways): replies resolve with their typed value, every failure rejects as an EngineError keeping its domain's
 * details, events reach the call that asked, a signal sends `cancel`, and a crash rejects what is pending.
 */
import { describe, expect, it } from 'vitest';
import { EngineClient, EngineError, engineProblem } from './client';
import type { RequestHandlers } from './domains';
import type { DeviceLoss, EngineFailure, FromEngine } from './protocol';
import { createRouter } from './router';
import type { TrainOutcome } from './train-protocol';

type Kinds = 'probe' | 'generate' | 'train-start' | 'hub-list';

const OUTCOME: TrainOutcome = {
  stopReason: 'completed',
  steps: 2,
  totalSteps: 2,
  bestValLoss: null,
  bestStep: null,
  finalValLoss: null,
  finalTrainLoss: 1.5,
  adapterId: 'a1',
  adapterStep: 2,
  adapterProblem: null,
  tokensPerSecond: 10,
  elapsedSeconds: 1,
  peakBytes: 0,
  estimatedBytes: 0,
};

/** A Worker whose other end is the router, in this process. */
class RoutedWorker extends EventTarget {
  readonly sent: unknown[] = [];
  private readonly receive: (data: unknown) => Promise<void>;

  constructor(requests: RequestHandlers<Kinds>) {
    super();
    this.receive = createRouter({
      requests,
      notices: { 'train-control': () => {} },
      post: (message) => this.reply(message),
      unexpected: (error) => ({ domain: 'task', kind: 'internal', message: String(error) }),
    });
  }

  reply(message: FromEngine): void {
    this.dispatchEvent(new MessageEvent('message', { data: structuredClone(message) }));
  }

  postMessage(data: unknown): void {
    this.sent.push(data);
    void this.receive(structuredClone(data));
  }

  terminate(): void {}

  crash(message: string): void {
    this.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message }));
  }
}

const noGpu: EngineFailure = { reason: 'no-webgpu', message: 'navigator.gpu is missing', secureContext: false };

function clientOf(overrides: Partial<RequestHandlers<Kinds>> = {}) {
  let events: ((event: FromEngine) => void) | null = null;
  const worker = new RoutedWorker({
    probe:
      overrides.probe ??
      (async () => {
        throw new EngineError({ domain: 'device', ...noGpu });
      }),
    generate:
      overrides.generate ??
      (async (request) => {
        for (const text of ['a', 'ab']) events?.({ kind: 'token', requestId: request.id, progress: { text, tokens: text.length, tokensPerSecond: null } });
        // A token of some other generation: not this call's.
        events?.({ kind: 'token', requestId: request.id + 100, progress: { text: 'x', tokens: 1, tokensPerSecond: null } });
        return { text: 'ab', tokens: 2, promptTokens: 1, stopReason: 'max-tokens', prefillTokensPerSecond: 1, decodeTokensPerSecond: 1, milliseconds: 1 };
      }),
    'train-start':
      overrides['train-start'] ??
      (async () => {
        throw new EngineError({ domain: 'train', kind: 'config', message: 'Rank must be at least 1.', setting: 'rank', checkpointStep: null });
      }),
    'hub-list': overrides['hub-list'] ?? (async () => ({ entries: [], totalBytes: 0 })),
  });
  events = (event) => worker.reply(event);
  const lost: DeviceLoss[] = [];
  const failed: EngineFailure[] = [];
  const client = new EngineClient({ deviceLost: (loss) => lost.push(loss), workerFailed: (f) => failed.push(f) }, worker as unknown as Worker);
  return { client, worker, lost, failed };
}

describe('engine client', () => {
  it('resolves a call with its reply and hands it the events naming it, and only those', async () => {
    const { client } = clientOf();
    const seen: string[] = [];
    const outcome = await client.call(
      'generate',
      { settings: { prompt: 'p', chat: false, maxTokens: 2, sampling: { greedy: true, temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 } } },
      { onEvent: (event) => seen.push(event.progress.text) },
    );
    expect(outcome.text).toBe('ab');
    expect(seen).toEqual(['a', 'ab']);
    await expect(client.call('hub-list', {})).resolves.toEqual({ entries: [], totalBytes: 0 });
  });

  it('rejects every failure as one EngineError that keeps what the view shows (secureContext, the setting at fault)', async () => {
    const { client } = clientOf();
    const device = await client.call('probe', {}).catch((error: unknown) => error);
    expect(device).toBeInstanceOf(EngineError);
    expect(engineProblem(device, 'device')).toEqual({ domain: 'device', ...noGpu });
    expect(engineProblem(device, 'task')).toBeNull();
    // The handler above ignores what a start carries.
    const train = await client.call('train-start', {} as never).catch((error: unknown) => error);
    expect(engineProblem(train, 'train')).toMatchObject({ kind: 'config', setting: 'rank', message: 'Rank must be at least 1.' });
  });

  it('rejects a kind the worker has no handler for, instead of waiting forever', async () => {
    const { client } = clientOf();
    // As a client built against another protocol version would send it.
    const error = await client.call('library-merge', { adapterId: 'x', format: { kind: 'gguf', type: 'f16' } }).catch((e: unknown) => e);
    expect(engineProblem(error, 'protocol')).toEqual({ domain: 'protocol', kind: 'unknown-kind', message: "Unknown engine request 'library-merge'." });
  });

  it('an aborted signal sends a cancel naming the call; the call still settles with its reply', async () => {
    const controller = new AbortController();
    let aborted = false;
    const { client, worker } = clientOf({
      'hub-list': async (_request, { signal }) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        aborted = signal.aborted;
        return { entries: [], totalBytes: 0 };
      },
    });
    const listing = client.call('hub-list', {}, { signal: controller.signal });
    controller.abort();
    await listing;
    expect(aborted).toBe(true);
    expect(worker.sent).toEqual([{ kind: 'hub-list', id: 1 }, { kind: 'cancel', target: 1 }]);
  });

  it('device loss reaches its listener; a crash rejects what is pending and every later call', async () => {
    const { client, worker, lost, failed } = clientOf({ 'hub-list': () => new Promise(() => {}) });
    worker.reply({ kind: 'device-lost', loss: { reason: 'unknown', message: 'gone' } });
    expect(lost).toEqual([{ reason: 'unknown', message: 'gone' }]);
    const pending = client.call('hub-list', {}).catch((e: unknown) => e);
    worker.crash('boom');
    expect(engineProblem(await pending, 'device')).toMatchObject({ reason: 'worker-failed', message: 'boom' });
    expect(failed).toMatchObject([{ reason: 'worker-failed', message: 'boom' }]);
    const later = await client.call('hub-list', {}).catch((e: unknown) => e);
    expect(engineProblem(later, 'device')).toMatchObject({ reason: 'worker-failed' });
  });
});
