/**
 * The data pipeline's progress as the Train view keeps and words it: the latest figures of the live run (the
 * worker sends them at most ten times a second) and the bad rows met, listed once each and kept up to a bound, so
 * the page does no per-row work beyond appending what an event brings.
 */
import type { DataProgress } from '../../data/stream/streamed-dataset';
import type { BadRow } from '../../data/types';

/** Bad rows the page lists at most; beyond that only their count grows. */
export const KEPT_BAD_ROWS = 1000;

export interface LiveDataProgress {
  /** The latest figures (its `newBadRows` emptied: they live in `badRows`). */
  progress: DataProgress;
  /** Bad rows met, in the order met, each line once (a later pass over the file meets them again). */
  badRows: BadRow[];
  /** Bad rows in a pass over the file: the most any pass has reported, at least those listed. */
  badRowCount: number;
}

const rowKey = (row: BadRow) => `${row.line}:${row.column ?? ''}`;

/** The live state after one `train-data` event. */
export function withDataProgress(previous: LiveDataProgress | null, data: DataProgress): LiveDataProgress {
  let badRows = previous?.badRows ?? [];
  if (data.newBadRows.length > 0 && badRows.length < KEPT_BAD_ROWS) {
    const seen = new Set(badRows.map(rowKey));
    const added: BadRow[] = [];
    for (const row of data.newBadRows) {
      if (badRows.length + added.length >= KEPT_BAD_ROWS) break;
      const key = rowKey(row);
      if (seen.has(key)) continue;
      seen.add(key);
      added.push(row);
    }
    if (added.length > 0) badRows = [...badRows, ...added];
  }
  // `badRowCount` counts one pass; the largest seen stays, so a new pass starting from zero does not hide them.
  const badRowCount = Math.max(previous?.badRowCount ?? 0, data.badRowCount, badRows.length);
  return { progress: { ...data, newBadRows: [] }, badRows, badRowCount };
}

/** A rate in a few characters: 950, 8.2k, 12k, 1.3M. */
export function compactRate(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1000) return n.toFixed(0);
  if (n < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * "Data: epoch 1 · 12,345 rows read (34% of the file) · 12,001 tokenized · 8.2k tok/s (trainer 1.1k tok/s)".
 * The pipeline's tokens/s is its own working time's; the trainer's (null before the first step) is beside it, so
 * it shows which of the two holds the run back.
 */
export function dataProgressText(progress: DataProgress, trainerTokensPerSecond: number | null): string {
  // Floored: a pass not yet over never says 100%.
  const share = progress.fraction < 1 ? `${Math.floor(progress.fraction * 100)}% of the file` : 'the whole file';
  const trainer = trainerTokensPerSecond === null ? '' : ` (trainer ${compactRate(trainerTokensPerSecond)} tok/s)`;
  return (
    `Data: epoch ${progress.epoch + 1} · ${count(progress.rowsRead)} rows read (${share}) · ` +
    `${count(progress.rowsTokenized)} tokenized · ${compactRate(progress.tokensPerSecond)} tok/s${trainer}`
  );
}

/** The ETA as shown: "about 3 min 2 s (estimated)" while the total steps rest on an estimated epoch length. */
export function etaText(duration: string, estimated: boolean): string {
  return estimated ? `about ${duration} (estimated)` : duration;
}

/** The run's examples: a streamed file's train count would be its first window's only, so it is not given. */
export function examplesText(data: { train: number; validation: number; streamed: boolean }): string {
  if (data.streamed) return `streaming: ${count(data.validation)} validation examples; training rows are read as the run goes`;
  return `${count(data.train)} train / ${count(data.validation)} validation examples`;
}

/** "3 bad rows skipped", with how many are listed when not all are. */
export function badRowsSummary(state: LiveDataProgress): string {
  const n = state.badRowCount;
  const listed = state.badRows.length < n ? ` (the first ${count(state.badRows.length)} listed)` : '';
  return `${count(n)} bad ${n === 1 ? 'row' : 'rows'} skipped${listed}`;
}
