/** The Train view's data progress: what the page keeps of each `train-data` event, and how it words it. */
import { describe, expect, it } from 'vitest';
import type { DataProgress } from '../../data/stream/streamed-dataset';
import type { BadRow } from '../../data/types';
import {
  badRowsSummary,
  compactRate,
  dataProgressText,
  etaText,
  examplesText,
  KEPT_BAD_ROWS,
  withDataProgress,
} from './data-progress';

function progress(patch: Partial<DataProgress> = {}): DataProgress {
  return {
    epoch: 0,
    rowsRead: 12_345,
    fraction: 0.3449,
    rowsTokenized: 12_001,
    tokens: 900_000,
    tokensPerSecond: 8_230,
    badRowCount: 0,
    newBadRows: [],
    droppedCount: 0,
    truncatedCount: 0,
    epochBatches: 100,
    epochEstimated: true,
    ...patch,
  };
}

const bad = (line: number, reason = 'not JSON'): BadRow => ({ line, reason });

describe('withDataProgress', () => {
  it('keeps the latest figures and appends the bad rows each event brings, in order', () => {
    const first = withDataProgress(null, progress({ rowsRead: 10, badRowCount: 2, newBadRows: [bad(3), bad(7)] }));
    const second = withDataProgress(first, progress({ rowsRead: 20, badRowCount: 3, newBadRows: [bad(15, 'no messages')] }));
    expect(second.progress.rowsRead).toBe(20);
    expect(second.badRows).toEqual([bad(3), bad(7), bad(15, 'no messages')]);
    expect(second.badRowCount).toBe(3);
    // The rows are not kept twice: the figures drop theirs.
    expect(second.progress.newBadRows).toEqual([]);
  });

  it('leaves the list as it was (same array) when an event brings no bad row', () => {
    const first = withDataProgress(null, progress({ badRowCount: 1, newBadRows: [bad(3)] }));
    const second = withDataProgress(first, progress({ badRowCount: 1 }));
    expect(second.badRows).toBe(first.badRows);
  });

  it('lists a bad row once when a later pass over the file meets it again', () => {
    let state = withDataProgress(null, progress({ badRowCount: 2, newBadRows: [bad(3), { line: 9, column: 4, reason: 'x' }] }));
    state = withDataProgress(state, progress({ epoch: 1, rowsRead: 5, badRowCount: 1, newBadRows: [bad(3)] }));
    state = withDataProgress(state, progress({ epoch: 1, badRowCount: 2, newBadRows: [{ line: 9, column: 4, reason: 'x' }, bad(9)] }));
    expect(state.badRows.map((r) => `${r.line}:${r.column ?? ''}`)).toEqual(['3:', '9:4', '9:']);
    // The count stays the largest any pass reported (and never under the rows listed).
    expect(state.badRowCount).toBe(3);
  });

  it(`keeps at most ${KEPT_BAD_ROWS} bad rows, the total still counted`, () => {
    const many = Array.from({ length: 700 }, (_, i) => bad(i + 1));
    let state = withDataProgress(null, progress({ badRowCount: 700, newBadRows: many }));
    state = withDataProgress(state, progress({ badRowCount: 1400, newBadRows: many.map((r) => bad(r.line + 700)) }));
    state = withDataProgress(state, progress({ badRowCount: 1500, newBadRows: [bad(5000)] }));
    expect(state.badRows).toHaveLength(KEPT_BAD_ROWS);
    expect(state.badRows.at(-1)).toEqual(bad(KEPT_BAD_ROWS));
    expect(state.badRowCount).toBe(1500);
    expect(badRowsSummary(state)).toBe('1,500 bad rows skipped (the first 1,000 listed)');
  });
});

describe('dataProgressText', () => {
  it('says the epoch, rows read with their share of the file, rows tokenized and both rates', () => {
    expect(dataProgressText(progress(), 1_100)).toBe(
      'Data: epoch 1 · 12,345 rows read (34% of the file) · 12,001 tokenized · 8.2k tok/s (trainer 1.1k tok/s)',
    );
  });

  it('never rounds a pass not yet over up to 100%, and says when the whole file is read', () => {
    expect(dataProgressText(progress({ fraction: 0.999 }), null)).toContain('(99% of the file)');
    expect(dataProgressText(progress({ epoch: 2, fraction: 1, tokensPerSecond: 950 }), null)).toBe(
      'Data: epoch 3 · 12,345 rows read (the whole file) · 12,001 tokenized · 950 tok/s',
    );
  });
});

describe('the other run texts', () => {
  it('words rates compactly', () => {
    expect([0, 950, 8_230, 12_400, 1_340_000].map(compactRate)).toEqual(['0', '950', '8.2k', '12k', '1.3M']);
    expect(compactRate(Number.NaN)).toBe('—');
  });

  it('says an ETA resting on an estimated epoch length is an estimate', () => {
    expect(etaText('3 min 2 s', true)).toBe('about 3 min 2 s (estimated)');
    expect(etaText('3 min 2 s', false)).toBe('3 min 2 s');
  });

  it('gives no train count for a streamed file, whose count would be its first window only', () => {
    expect(examplesText({ train: 4000, validation: 96, streamed: true })).toBe(
      'streaming: 96 validation examples; training rows are read as the run goes',
    );
    expect(examplesText({ train: 27, validation: 3, streamed: false })).toBe('27 train / 3 validation examples');
  });

  it('counts the bad rows, saying nothing more when all are listed', () => {
    const one = withDataProgress(null, progress({ badRowCount: 1, newBadRows: [bad(3)] }));
    expect(badRowsSummary(one)).toBe('1 bad row skipped');
  });
});
