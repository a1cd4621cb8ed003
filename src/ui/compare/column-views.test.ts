import { describe, expect, it } from 'vitest';
import type { GenerationOutcome } from '../../worker/protocol';
import { allFinished, columnFinished, columnProgressed, columnsProgressed, waitingColumns } from './column-views';

const outcome = (text: string, tokens: number): GenerationOutcome => ({
  text,
  tokens,
  promptTokens: 5,
  stopReason: 'max-tokens',
  prefillTokensPerSecond: 100,
  decodeTokensPerSecond: 20,
  milliseconds: 300,
});

const BATCH = { kind: 'batched', columns: 3, slotBytes: 4096 } as const;

describe('column views', () => {
  it('streams text into one column and ends each column its own way', () => {
    let views = waitingColumns([
      { adapterId: null, label: 'Base' },
      { adapterId: 'a', label: 'moon' },
      { adapterId: 'b', label: 'sun' },
    ]);
    views = columnProgressed(views, 0, { text: ' there', tokens: 1, tokensPerSecond: null }, BATCH);
    expect(views[0]).toMatchObject({ status: 'running', text: ' there' });
    expect(views[1].status).toBe('waiting');
    views = columnFinished(views, 0, { status: 'done', outcome: outcome(' there was', 3), pass: BATCH });
    expect(views[0]).toMatchObject({ status: 'done', text: ' there was', tokens: 3, tokensPerSecond: 20, stopReason: 'max-tokens' });
    expect(allFinished(views)).toBe(false);
    views = columnFinished(views, 1, { status: 'failed', problem: { kind: 'gpu', message: 'out of memory' } });
    views = columnFinished(views, 2, { status: 'skipped' });
    expect(views.map((v) => v.status)).toEqual(['done', 'failed', 'skipped']);
    expect(views[1].problem).toBe('out of memory');
    expect(allFinished(views)).toBe(true);
  });

  it('shows no speed for a column of one token, and ignores a column index out of range', () => {
    const views = columnFinished(waitingColumns([{ adapterId: null, label: 'Base' }]), 0, { status: 'done', outcome: outcome('.', 1), pass: BATCH });
    expect(views[0].tokensPerSecond).toBeNull();
    expect(columnProgressed(views, 3, { text: 'x', tokens: 1, tokensPerSecond: null }, BATCH)).toEqual(views);
  });

  it('applies the progress of several columns at once, each with its pass, and keeps the pass at the end', () => {
    const own = { kind: 'own', reason: 'DoRA needs its own adapted weights' } as const;
    let views = waitingColumns([
      { adapterId: null, label: 'Base' },
      { adapterId: 'a', label: 'moon' },
      { adapterId: 'd', label: 'dora' },
    ]);
    views = columnsProgressed(views, [
      { column: 0, progress: { text: ' a', tokens: 1, tokensPerSecond: null }, pass: BATCH },
      { column: 1, progress: { text: ' b', tokens: 1, tokensPerSecond: null }, pass: BATCH },
    ]);
    expect(views.map((v) => [v.status, v.text, v.pass?.kind ?? null])).toEqual([['running', ' a', 'batched'], ['running', ' b', 'batched'], ['waiting', '', null]]);
    views = columnFinished(views, 2, { status: 'done', outcome: outcome(' c', 2), pass: own });
    expect(views[2].pass).toEqual(own);
  });
});
