/**
 * What each column of a comparison shows while it streams and after: its text, tokens and speed, and how it
 * ended. Pure updates of plain data, applied by the store.
 */
import type { ColumnOutcome, ColumnPass, CompareColumn } from '../../worker/compare-protocol';
import type { GenerationProgress, StopReason } from '../../worker/protocol';

export type ColumnStatus = 'waiting' | 'running' | 'done' | 'failed' | 'skipped';

export interface ColumnView {
  label: string;
  adapterId: string | null;
  status: ColumnStatus;
  text: string;
  tokens: number;
  tokensPerSecond: number | null;
  stopReason: StopReason | null;
  problem: string | null;
  /** The pass it is generated in (batched with others, or its own), once known. */
  pass: ColumnPass | null;
}

/** One column's latest progress, as a throttled update applies it. */
export interface ColumnProgress {
  column: number;
  progress: GenerationProgress;
  pass: ColumnPass;
}

export function waitingColumns(columns: readonly CompareColumn[]): ColumnView[] {
  return columns.map((c) => ({
    label: c.label,
    adapterId: c.adapterId,
    status: 'waiting',
    text: '',
    tokens: 0,
    tokensPerSecond: null,
    stopReason: null,
    problem: null,
    pass: null,
  }));
}

function replace(views: readonly ColumnView[], index: number, update: (v: ColumnView) => ColumnView): ColumnView[] {
  if (index < 0 || index >= views.length) return [...views];
  return views.map((v, i) => (i === index ? update(v) : v));
}

export function columnProgressed(views: readonly ColumnView[], index: number, progress: GenerationProgress, pass: ColumnPass): ColumnView[] {
  // A late progress update never reopens a column that has ended.
  return replace(views, index, (v) => (v.status !== 'waiting' && v.status !== 'running' ? v : {
    ...v,
    status: 'running',
    text: progress.text,
    tokens: progress.tokens,
    tokensPerSecond: progress.tokensPerSecond,
    pass,
  }));
}

/** Several columns' progress at once (a batched pass streams every column together). */
export function columnsProgressed(views: readonly ColumnView[], updates: readonly ColumnProgress[]): ColumnView[] {
  return updates.reduce<ColumnView[]>((v, u) => columnProgressed(v, u.column, u.progress, u.pass), [...views]);
}

/** A column's end: the outcome's final text and decode speed, why it failed, or that a stop came first. */
export function columnFinished(views: readonly ColumnView[], index: number, result: ColumnOutcome): ColumnView[] {
  return replace(views, index, (v) => {
    switch (result.status) {
      case 'done':
        return {
          ...v,
          status: 'done',
          text: result.outcome.text,
          tokens: result.outcome.tokens,
          // The worker's decode speed counts tokens after the first; with fewer than two there is none.
          tokensPerSecond: result.outcome.tokens > 1 ? result.outcome.decodeTokensPerSecond : null,
          stopReason: result.outcome.stopReason,
          pass: result.pass,
        };
      case 'failed':
        return { ...v, status: 'failed', problem: result.problem.message };
      case 'skipped':
        return { ...v, status: 'skipped' };
    }
  });
}

/** Every column has ended one way or another. */
export function allFinished(views: readonly ColumnView[]): boolean {
  return views.every((v) => v.status === 'done' || v.status === 'failed' || v.status === 'skipped');
}
