/**
 * The Compare view: the adapters the library offers and the ones chosen, the prompt form (the Playground's shape,
 * its own values), the comparison streaming into its columns, the evaluation table, and the history. Plain data
 * only; the compare bridge (ui/compare/compare-bridge.ts) applies engine news here.
 */
import type { StateCreator } from 'zustand';
import type { ComparisonRecord } from '../../library/compare-history';
import type { CompressionRow } from '../../export/compression';
import type { CompressionSummary, EvalColumnResult, EvalSummary } from '../../worker/compare-protocol';
import type { GenerateSettings } from '../../worker/protocol';
import { type ColumnProgress, type ColumnView, columnFinished, columnsProgressed } from '../compare/column-views';
import { type AdapterChoice, DEFAULT_EVAL_FORM, type EvalFieldErrors, type EvalForm, toggleAdapter } from '../compare/compare-form';
import { DEFAULT_FORM, type FieldErrors, type PlaygroundForm } from '../playground/settings';
import type { ColumnOutcome } from '../../worker/compare-protocol';
import { applyFormEdit } from './form-edit';
import type { Listing } from './listing';
import type { ShownProblem } from './playgroundSlice';

export type CompareLibraryState = Listing<'adapters', AdapterChoice[]>;

export type CompareRunState =
  | { status: 'idle' }
  | { status: 'running'; settings: GenerateSettings; columns: ColumnView[]; stopping: boolean }
  | { status: 'done'; settings: GenerateSettings; columns: ColumnView[]; stopped: boolean }
  | { status: 'failed'; problem: ShownProblem };

export interface EvalColumnLabel {
  label: string;
  adapterId: string | null;
}

export type CompareEvalState =
  | { status: 'idle' }
  | {
      status: 'running';
      columns: EvalColumnLabel[];
      column: number;
      batchesDone: number;
      batches: number;
      results: EvalColumnResult[];
      cancelling: boolean;
    }
  | { status: 'done'; columns: EvalColumnLabel[]; summary: EvalSummary; seqLen: number; saved: boolean }
  | { status: 'cancelled' }
  | { status: 'failed'; problem: ShownProblem };

/** The compression table: each GGUF type of the base and of one column's adapter merged, measured in turn. */
export type CompareCompressState =
  | { status: 'idle' }
  | { status: 'running'; label: string; rows: CompressionRow[]; total: number; cancelling: boolean }
  | { status: 'done'; summary: CompressionSummary }
  | { status: 'cancelled' }
  | { status: 'failed'; problem: ShownProblem };

export type CompareHistoryState = Listing<'entries', ComparisonRecord[]>;

export interface CompareSlice {
  compareLibrary: CompareLibraryState;
  compareSelected: string[];
  compareForm: PlaygroundForm;
  compareFieldErrors: FieldErrors;
  compareRun: CompareRunState;
  compareEvalForm: EvalForm;
  compareEvalErrors: EvalFieldErrors;
  /** The evaluation's dataset: the sample, or the name of a file the user picked (the File stays in the bridge). */
  compareEvalDataset: { kind: 'sample' } | { kind: 'file'; name: string };
  compareEval: CompareEvalState;
  compareCompress: CompareCompressState;
  compareHistory: CompareHistoryState;
  /** The history entry opened for reading, if any. */
  compareOpened: ComparisonRecord | null;
  /** A history action that failed (save, delete), shown above the list. */
  compareHistoryProblem: ShownProblem | null;

  compareLibraryLoading(): void;
  compareLibraryListed(adapters: AdapterChoice[]): void;
  compareLibraryFailed(problem: ShownProblem): void;
  compareToggleAdapter(id: string): void;
  editCompareForm(patch: Partial<PlaygroundForm>): void;
  compareFormRejected(errors: FieldErrors): void;
  compareStarted(settings: GenerateSettings, columns: ColumnView[]): void;
  /** The latest progress of the columns that moved since the last update (a batch streams them together). */
  compareProgressed(updates: readonly ColumnProgress[]): void;
  compareColumnDone(column: number, result: ColumnOutcome): void;
  compareStopping(): void;
  compareFinished(stopped: boolean): void;
  compareFailed(problem: ShownProblem): void;
  editCompareEvalForm(patch: Partial<EvalForm>): void;
  compareEvalRejected(errors: EvalFieldErrors): void;
  compareEvalDatasetChosen(dataset: CompareSlice['compareEvalDataset']): void;
  compareEvalStarted(columns: EvalColumnLabel[]): void;
  compareEvalProgressed(progress: { column: number; batchesDone: number; batches: number; results: EvalColumnResult[] }): void;
  compareEvalCancelling(): void;
  compareEvalDone(summary: EvalSummary, seqLen: number, saved: boolean): void;
  compareEvalCancelled(): void;
  compareEvalFailed(problem: ShownProblem): void;
  compareCompressStarted(label: string): void;
  compareCompressProgressed(rows: CompressionRow[], total: number): void;
  compareCompressCancelling(): void;
  compareCompressDone(summary: CompressionSummary): void;
  compareCompressCancelled(): void;
  compareCompressFailed(problem: ShownProblem): void;
  compareHistoryLoading(): void;
  compareHistoryListed(entries: ComparisonRecord[]): void;
  compareHistoryFailed(problem: ShownProblem): void;
  compareHistoryProblemShown(problem: ShownProblem | null): void;
  compareOpen(record: ComparisonRecord | null): void;
}

/** Shorter than the Playground's default: every column generates it. */
const DEFAULT_COMPARE_FORM: PlaygroundForm = { ...DEFAULT_FORM, maxTokens: '48' };

export const createCompareSlice: StateCreator<CompareSlice, [], [], CompareSlice> = (set) => ({
  compareLibrary: { status: 'loading' },
  compareSelected: [],
  compareForm: DEFAULT_COMPARE_FORM,
  compareFieldErrors: {},
  compareRun: { status: 'idle' },
  compareEvalForm: DEFAULT_EVAL_FORM,
  compareEvalErrors: {},
  compareEvalDataset: { kind: 'sample' },
  compareEval: { status: 'idle' },
  compareCompress: { status: 'idle' },
  compareHistory: { status: 'loading' },
  compareOpened: null,
  compareHistoryProblem: null,

  compareLibraryLoading: () => set((s) => (s.compareLibrary.status === 'ready' ? {} : { compareLibrary: { status: 'loading' } })),
  compareLibraryListed: (adapters) =>
    set((s) => ({
      compareLibrary: { status: 'ready', adapters },
      // A deleted adapter leaves the choice too.
      compareSelected: s.compareSelected.filter((id) => adapters.some((a) => a.id === id)),
    })),
  compareLibraryFailed: (problem) => set({ compareLibrary: { status: 'failed', problem } }),
  compareToggleAdapter: (id) => set((s) => ({ compareSelected: toggleAdapter(s.compareSelected, id) })),
  editCompareForm: (patch) =>
    set((s) => {
      const { form, errors } = applyFormEdit(s.compareForm, s.compareFieldErrors, patch);
      return { compareForm: form, compareFieldErrors: errors };
    }),
  compareFormRejected: (errors) => set({ compareFieldErrors: errors }),
  compareStarted: (settings, columns) => set({ compareRun: { status: 'running', settings, columns, stopping: false } }),
  compareProgressed: (updates) =>
    set((s) =>
      s.compareRun.status === 'running' ? { compareRun: { ...s.compareRun, columns: columnsProgressed(s.compareRun.columns, updates) } } : {},
    ),
  compareColumnDone: (column, result) =>
    set((s) =>
      s.compareRun.status === 'running' ? { compareRun: { ...s.compareRun, columns: columnFinished(s.compareRun.columns, column, result) } } : {},
    ),
  compareStopping: () => set((s) => (s.compareRun.status === 'running' ? { compareRun: { ...s.compareRun, stopping: true } } : {})),
  compareFinished: (stopped) =>
    set((s) =>
      s.compareRun.status === 'running'
        ? { compareRun: { status: 'done', settings: s.compareRun.settings, columns: s.compareRun.columns, stopped } }
        : {},
    ),
  compareFailed: (problem) => set({ compareRun: { status: 'failed', problem } }),
  editCompareEvalForm: (patch) =>
    set((s) => {
      const { form, errors } = applyFormEdit(s.compareEvalForm, s.compareEvalErrors, patch);
      return { compareEvalForm: form, compareEvalErrors: errors };
    }),
  compareEvalRejected: (errors) => set({ compareEvalErrors: errors }),
  compareEvalDatasetChosen: (dataset) => set({ compareEvalDataset: dataset }),
  compareEvalStarted: (columns) =>
    set({ compareEval: { status: 'running', columns, column: 0, batchesDone: 0, batches: 0, results: [], cancelling: false } }),
  compareEvalProgressed: (p) => set((s) => (s.compareEval.status === 'running' ? { compareEval: { ...s.compareEval, ...p } } : {})),
  compareEvalCancelling: () =>
    set((s) => (s.compareEval.status === 'running' ? { compareEval: { ...s.compareEval, cancelling: true } } : {})),
  compareEvalDone: (summary, seqLen, saved) =>
    set((s) => (s.compareEval.status === 'running' ? { compareEval: { status: 'done', columns: s.compareEval.columns, summary, seqLen, saved } } : {})),
  compareEvalCancelled: () => set({ compareEval: { status: 'cancelled' } }),
  compareEvalFailed: (problem) => set({ compareEval: { status: 'failed', problem } }),
  compareCompressStarted: (label) => set({ compareCompress: { status: 'running', label, rows: [], total: 0, cancelling: false } }),
  compareCompressProgressed: (rows, total) =>
    set((s) => (s.compareCompress.status === 'running' ? { compareCompress: { ...s.compareCompress, rows, total } } : {})),
  compareCompressCancelling: () =>
    set((s) => (s.compareCompress.status === 'running' ? { compareCompress: { ...s.compareCompress, cancelling: true } } : {})),
  compareCompressDone: (summary) => set((s) => (s.compareCompress.status === 'running' ? { compareCompress: { status: 'done', summary } } : {})),
  compareCompressCancelled: () => set({ compareCompress: { status: 'cancelled' } }),
  compareCompressFailed: (problem) => set({ compareCompress: { status: 'failed', problem } }),
  compareHistoryLoading: () => set((s) => (s.compareHistory.status === 'ready' ? {} : { compareHistory: { status: 'loading' } })),
  compareHistoryListed: (entries) =>
    set((s) => ({
      compareHistory: { status: 'ready', entries },
      // A deleted entry closes; an updated one (an evaluation added) shows its new contents.
      compareOpened: s.compareOpened ? (entries.find((e) => e.id === s.compareOpened!.id) ?? null) : null,
    })),
  compareHistoryFailed: (problem) => set({ compareHistory: { status: 'failed', problem } }),
  compareHistoryProblemShown: (problem) => set({ compareHistoryProblem: problem }),
  compareOpen: (record) => set({ compareOpened: record }),
});
