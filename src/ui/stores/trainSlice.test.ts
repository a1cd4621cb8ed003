/** The train slice's live-run data progress, on a store of that slice alone. */
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import type { DataProgress } from '../../data/stream/streamed-dataset';
import { createTrainSlice, type TrainSlice } from './trainSlice';

const store = () => createStore<TrainSlice>()((...args) => createTrainSlice(...args));

function data(patch: Partial<DataProgress>): DataProgress {
  return {
    epoch: 0,
    rowsRead: 0,
    fraction: 0,
    rowsTokenized: 0,
    tokens: 0,
    tokensPerSecond: 0,
    badRowCount: 0,
    newBadRows: [],
    droppedCount: 0,
    truncatedCount: 0,
    epochBatches: 1,
    epochEstimated: true,
    ...patch,
  };
}

describe('train slice: data progress of the live run', () => {
  it('keeps the latest figures and the bad rows of its run, and ignores another run’s events', () => {
    const s = store();
    s.getState().liveStarted('run-a');
    s.getState().liveDataProgressed('run-a', data({ rowsRead: 100, badRowCount: 1, newBadRows: [{ line: 4, reason: 'not JSON' }] }));
    s.getState().liveDataProgressed('run-b', data({ rowsRead: 999, badRowCount: 5, newBadRows: [{ line: 1, reason: 'x' }] }));
    s.getState().liveDataProgressed('run-a', data({ rowsRead: 200, badRowCount: 2, newBadRows: [{ line: 9, reason: 'no messages' }] }));
    const kept = s.getState().live?.dataProgress;
    expect(kept?.progress.rowsRead).toBe(200);
    expect(kept?.badRows.map((r) => r.line)).toEqual([4, 9]);
    expect(kept?.badRowCount).toBe(2);
  });

  it('starts a new run with no data progress', () => {
    const s = store();
    s.getState().liveStarted('run-a');
    s.getState().liveDataProgressed('run-a', data({ rowsRead: 100 }));
    s.getState().liveStarted('run-b');
    expect(s.getState().live?.dataProgress).toBeNull();
  });
});
