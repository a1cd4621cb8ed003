import { describe, expect, it } from 'vitest';
import type { DatasetSettings } from './dataset-protocol';
import { datasetHandlers } from './dataset-requests';
import type { FromEngine } from './protocol';
import { createRouter } from './router';

const SETTINGS: DatasetSettings = {
  format: 'auto',
  mapping: {},
  onBadRow: 'skip',
  seqLen: 256,
  trainOnInputs: false,
  validationFraction: 0.1,
  seed: 42,
};

const rows = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ text: `Story number ${i}.` })).join('\n');

/** The dataset handlers behind the worker's router, with `onMessage` hearing what the worker posts. */
type Receive = (data: unknown) => Promise<void>;

function worker(onMessage: (message: FromEngine, receive: Receive) => void): Receive {
  const post = (message: FromEngine): void => onMessage(message, receive);
  const receive: Receive = createRouter({
    requests: datasetHandlers(() => null, (event) => post(event)),
    notices: { 'train-control': () => {} },
    post: (message) => post(message),
    unexpected: (error) => ({ domain: 'task', kind: 'internal', message: String(error) }),
  });
  return receive;
}

describe('dataset requests', () => {
  it('a cancel naming the dataset request stops it with a cancelled failure; one naming another id does not', async () => {
    const posted: FromEngine[] = [];
    const first = worker((message, receive) => {
      posted.push(message);
      if ('id' in message || message.kind !== 'dataset-progress') return;
      expect(message.requestId).toBe(7);
      expect(message.progress.request).toBe(7);
      void receive({ kind: 'cancel', target: 99 }); // some other request: ignored
      void receive({ kind: 'cancel', target: message.requestId });
    });
    // Many small chunks, so reading is still going when the first progress arrives.
    const bytes = new TextEncoder().encode(rows);
    const chunks = Array.from({ length: 40 }, (_, i) => new Blob([bytes.subarray(i * (bytes.length / 40), (i + 1) * (bytes.length / 40))]));
    const file = new File(chunks, 'stories.jsonl');
    await first({ kind: 'open-dataset', id: 7, source: { kind: 'file', file }, settings: SETTINGS });
    const last = posted.at(-1)!;
    expect(last).toMatchObject({ kind: 'open-dataset', id: 7, ok: false });
    if (!('ok' in last) || last.ok || last.error.domain !== 'dataset') throw new Error('expected a dataset failure');
    expect(last.error).toMatchObject({ kind: 'cancelled', file: 'stories.jsonl' });
    expect(last.error.message).toContain('Reading stories.jsonl was cancelled');

    // Cancels naming other requests leave a read alone: it reads the whole file (and then goes on to tokens).
    const others: FromEngine[] = [];
    const second = worker((message, receive) => {
      others.push(message);
      if (!('id' in message) && message.kind === 'dataset-progress') void receive({ kind: 'cancel', target: 7 });
    });
    await second({ kind: 'open-dataset', id: 8, source: { kind: 'file', file }, settings: SETTINGS });
    const reading = others.filter((m) => !('id' in m) && m.kind === 'dataset-progress' && m.progress.phase === 'reading');
    expect(reading.at(-1)).toMatchObject({ progress: { done: bytes.length, total: bytes.length } });
    const end = others.at(-1)!;
    expect(end).toMatchObject({ kind: 'open-dataset', id: 8 });
    expect('ok' in end && !end.ok && end.error.domain === 'dataset' && end.error.kind).not.toBe('cancelled');
  });
});
