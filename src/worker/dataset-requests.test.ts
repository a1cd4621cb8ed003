import { describe, expect, it } from 'vitest';
import type { DatasetSettings } from './dataset-protocol';
import { cancelDataset, openDataset } from './dataset-requests';
import type { FromEngine } from './protocol';

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

describe('dataset requests', () => {
  it('a cancel naming the dataset request stops it with a cancelled failure; one naming another id does not', async () => {
    const posted: FromEngine[] = [];
    const post = (message: FromEngine) => {
      posted.push(message);
      if (message.kind !== 'dataset-progress') return;
      expect(message.progress.request).toBe(7);
      cancelDataset(99); // some other request: ignored
      cancelDataset(message.progress.request!);
    };
    // Many small chunks, so reading is still going when the first progress arrives.
    const bytes = new TextEncoder().encode(rows);
    const chunks = Array.from({ length: 40 }, (_, i) => new Blob([bytes.subarray(i * (bytes.length / 40), (i + 1) * (bytes.length / 40))]));
    const file = new File(chunks, 'stories.jsonl');
    await openDataset({ kind: 'open-dataset', id: 7, source: { kind: 'file', file }, settings: SETTINGS }, () => null, post);
    const last = posted.at(-1)!;
    expect(last.kind).toBe('dataset-failed');
    if (last.kind !== 'dataset-failed') return;
    expect(last.id).toBe(7);
    expect(last.failure).toMatchObject({ kind: 'cancelled', file: 'stories.jsonl' });
    expect(last.failure.message).toContain('Reading stories.jsonl was cancelled');

    // Cancels naming other requests leave a read alone: it reads the whole file (and then goes on to tokens).
    const others: FromEngine[] = [];
    await openDataset(
      { kind: 'open-dataset', id: 8, source: { kind: 'file', file }, settings: SETTINGS },
      () => null,
      (message) => {
        others.push(message);
        if (message.kind === 'dataset-progress') cancelDataset(7);
      },
    );
    const reading = others.filter((m) => m.kind === 'dataset-progress' && m.progress.phase === 'reading');
    expect(reading.at(-1)).toMatchObject({ progress: { done: bytes.length, total: bytes.length } });
    const end = others.at(-1)!;
    expect(end.kind === 'dataset-failed' && end.failure.kind).not.toBe('cancelled');
  });
});
