import { describe, expect, it } from 'vitest';
import { CompareHistory, type ComparisonRecord, type HistoryBackend, parseComparisonRecord } from './compare-history';

function memoryBackend(): HistoryBackend & { rows: Map<string, unknown> } {
  const rows = new Map<string, unknown>();
  return {
    rows,
    put: async (r) => void rows.set(r.id, structuredClone(r)),
    get: async (id) => rows.get(id),
    getAll: async () => [...rows.values()],
    delete: async (id) => void rows.delete(id),
  };
}

function record(id: string, createdAt: number, extra: Partial<ComparisonRecord> = {}): ComparisonRecord {
  return {
    id,
    createdAt,
    model: 'stories260K.gguf',
    settings: {
      prompt: 'Once upon a time',
      chat: false,
      maxTokens: 16,
      sampling: { greedy: true, temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1, seed: 0 },
    },
    columns: [
      { label: 'Base', adapterId: null, text: ' there was', tokens: 3, tokensPerSecond: 12.5, stopReason: 'max-tokens', problem: null },
      { label: 'moon', adapterId: 'a-1', text: ' Hush', tokens: 2, tokensPerSecond: null, stopReason: 'eos', problem: null },
    ],
    evaluation: null,
    ...extra,
  };
}

describe('compare history', () => {
  it('lists saved comparisons newest first and reads one back whole', async () => {
    const history = new CompareHistory(memoryBackend());
    await history.save(record('old', 1));
    await history.save(record('new', 3));
    await history.save(record('mid', 2));
    expect((await history.list()).map((r) => r.id)).toEqual(['new', 'mid', 'old']);
    expect(await history.get('mid')).toEqual(record('mid', 2));
    expect(await history.get('missing')).toBeNull();
  });

  it('replaces a record saved again under its id (an evaluation added later)', async () => {
    const history = new CompareHistory(memoryBackend());
    await history.save(record('c', 1));
    const evaluation = {
      dataset: 'moon-stories.jsonl',
      examples: 40,
      seqLen: 128,
      rows: [
        { label: 'Base', meanLoss: 2.5, perplexity: Math.exp(2.5), trainedTokens: 900 },
        { label: 'moon', meanLoss: 3.1, perplexity: Math.exp(3.1), trainedTokens: 900 },
      ],
    };
    await history.save(record('c', 1, { evaluation }));
    const list = await history.list();
    expect(list).toHaveLength(1);
    expect(list[0].evaluation).toEqual(evaluation);
  });

  it('deletes', async () => {
    const history = new CompareHistory(memoryBackend());
    await history.save(record('a', 1));
    await history.save(record('b', 2));
    await history.delete('a');
    expect((await history.list()).map((r) => r.id)).toEqual(['b']);
  });

  it('skips stored values that are not whole records, and refuses to save one', async () => {
    const backend = memoryBackend();
    const history = new CompareHistory(backend);
    await history.save(record('good', 1));
    backend.rows.set('junk', { id: 'junk', createdAt: 2 });
    backend.rows.set('no-columns', { ...record('no-columns', 3), columns: [] });
    backend.rows.set('bad-eval', { ...record('bad-eval', 4), evaluation: { dataset: 'x' } });
    expect((await history.list()).map((r) => r.id)).toEqual(['good']);
    expect(await history.get('junk')).toBeNull();
    await expect(history.save({ ...record('half', 5), columns: [] })).rejects.toThrow(/half is incomplete/);
    expect(backend.rows.has('half')).toBe(false);
  });

  it('parses a record with a failed column', () => {
    const r = record('f', 1);
    r.columns[1] = { ...r.columns[1], text: '', tokens: 0, stopReason: null, problem: 'the adapter did not fit' };
    expect(parseComparisonRecord(r)).toEqual(r);
    expect(parseComparisonRecord({ ...r, columns: [{ ...r.columns[0], tokens: '3' }] })).toBeNull();
  });
});
