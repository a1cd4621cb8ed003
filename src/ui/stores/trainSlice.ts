/**
 * The Train view: the settings form, the base's architecture (for the memory estimate), the dataset choice, the
 * run history (records mirrored from IndexedDB, src/library/run-history.ts) and the run in progress (its phase,
 * latest progress, samples and notices). Plain data only: the chosen File stays in the train bridge.
 */
import type { StateCreator } from 'zustand';
import type { RunModelRef, RunRecord } from '../../library/run-history';
import type { ProgressEvent } from '../../train/metrics';
import type { DataProgress } from '../../data/stream/streamed-dataset';
import type { TrainModelInfo, TrainOutcome, TrainSample } from '../../worker/train-protocol';
import { type LiveDataProgress, withDataProgress } from '../train/data-progress';
import { DEFAULT_TRAIN_FORM, presetForm, type PresetId, type TrainFieldErrors, type TrainForm } from '../train/train-form';

export interface TrainProblem {
  title: string;
  message: string;
  /** Where to show it: by the Start button (default) or by the run's Resume control. */
  where?: 'start' | 'resume';
}

export type TrainModelState =
  | { status: 'idle' }
  | { status: 'loading'; source: RunModelRef }
  | { status: 'ready'; source: RunModelRef; info: TrainModelInfo }
  | { status: 'failed'; source: RunModelRef; message: string };

/** The dataset a new run copies: the bundled sample, or a file the user chose (its name and size here). */
export type TrainDataChoice = { kind: 'sample' } | { kind: 'file'; name: string; bytes: number };

export type RunPhase = 'starting' | 'running' | 'pausing' | 'stopping' | 'ended';

export interface LiveRun {
  runId: string;
  phase: RunPhase;
  /** The latest step's progress (ETA, tokens/s, peak bytes). */
  progress: ProgressEvent | null;
  /** Data sizes once the worker has read the dataset (`streamed`: `train` counts the first window only). */
  data: { train: number; validation: number; streamed: boolean } | null;
  /** The data pipeline's latest figures and the bad rows it met (see data-progress.ts). */
  dataProgress: LiveDataProgress | null;
  samples: { step: number; samples: TrainSample[] }[];
  notices: string[];
  outcome: TrainOutcome | null;
  problem: TrainProblem | null;
}

export interface TrainSlice {
  trainForm: TrainForm;
  trainFieldErrors: TrainFieldErrors;
  /** Why Start was refused (memory, no device, no model), shown above the button. */
  trainRefusal: TrainProblem | null;
  trainModel: TrainModelState;
  trainData: TrainDataChoice;
  runs: RunRecord[];
  runsStatus: 'loading' | 'ready' | 'failed';
  runsProblem: string | null;
  /** The run whose charts are shown (the live one while it runs). */
  shownRunId: string | null;
  live: LiveRun | null;
  editTrainForm(patch: Partial<TrainForm>): void;
  applyPreset(id: PresetId): void;
  trainFormRejected(errors: TrainFieldErrors, refusal?: TrainProblem | null): void;
  trainRefused(refusal: TrainProblem | null): void;
  trainModelChanged(state: TrainModelState): void;
  trainDataChosen(choice: TrainDataChoice): void;
  runsLoaded(runs: RunRecord[]): void;
  runsFailed(message: string): void;
  /** Adds or replaces a run record (newest first for new ones). */
  runSaved(record: RunRecord): void;
  runRemoved(runId: string): void;
  showRun(runId: string | null): void;
  liveStarted(runId: string): void;
  liveUpdated(patch: Partial<Omit<LiveRun, 'runId'>>): void;
  liveSampled(step: number, samples: TrainSample[]): void;
  liveNoticed(message: string): void;
  /** A `train-data` event of the live run `runId` (one of another run is ignored). */
  liveDataProgressed(runId: string, data: DataProgress): void;
}

const NUMBER_OR_CHOICE_EDITS_MAKE_CUSTOM = new Set<keyof TrainForm>(['samplePrompts', 'sampleEvery', 'sampleTokens', 'budgetMiB']);

export const createTrainSlice: StateCreator<TrainSlice, [], [], TrainSlice> = (set) => ({
  trainForm: DEFAULT_TRAIN_FORM,
  trainFieldErrors: {},
  trainRefusal: null,
  trainModel: { status: 'idle' },
  trainData: { kind: 'sample' },
  runs: [],
  runsStatus: 'loading',
  runsProblem: null,
  shownRunId: null,
  live: null,
  editTrainForm: (patch) =>
    set((state) => {
      const trainFieldErrors = { ...state.trainFieldErrors };
      for (const key of Object.keys(patch)) delete trainFieldErrors[key as keyof TrainFieldErrors];
      // Editing a training setting leaves the preset; sample and budget settings are not part of a preset.
      const custom = Object.keys(patch).some((k) => k !== 'preset' && !NUMBER_OR_CHOICE_EDITS_MAKE_CUSTOM.has(k as keyof TrainForm));
      return {
        trainForm: { ...state.trainForm, ...patch, ...(custom ? { preset: 'custom' as const } : {}) },
        trainFieldErrors,
        trainRefusal: null,
      };
    }),
  applyPreset: (id) =>
    set((state) => ({
      trainForm: { ...presetForm(id, { samplePrompts: state.trainForm.samplePrompts }), budgetMiB: state.trainForm.budgetMiB },
      trainFieldErrors: {},
      trainRefusal: null,
    })),
  trainFormRejected: (errors, refusal = null) => set({ trainFieldErrors: errors, trainRefusal: refusal }),
  trainRefused: (refusal) => set({ trainRefusal: refusal }),
  trainModelChanged: (trainModel) => set({ trainModel }),
  trainDataChosen: (trainData) => set({ trainData, trainRefusal: null }),
  runsLoaded: (runs) => set((state) => ({ runs, runsStatus: 'ready', shownRunId: state.shownRunId ?? runs[0]?.id ?? null })),
  runsFailed: (message) => set({ runsStatus: 'failed', runsProblem: message }),
  runSaved: (record) =>
    set((state) => {
      const at = state.runs.findIndex((r) => r.id === record.id);
      if (at < 0) return { runs: [record, ...state.runs] };
      const runs = state.runs.slice();
      runs[at] = record;
      return { runs };
    }),
  runRemoved: (runId) =>
    set((state) => ({
      runs: state.runs.filter((r) => r.id !== runId),
      shownRunId: state.shownRunId === runId ? null : state.shownRunId,
      live: state.live?.runId === runId ? null : state.live,
    })),
  showRun: (shownRunId) => set({ shownRunId }),
  liveStarted: (runId) =>
    set({
      shownRunId: runId,
      trainRefusal: null,
      live: {
        runId,
        phase: 'starting',
        progress: null,
        data: null,
        dataProgress: null,
        samples: [],
        notices: [],
        outcome: null,
        problem: null,
      },
    }),
  liveUpdated: (patch) => set((state) => (state.live ? { live: { ...state.live, ...patch } } : {})),
  liveSampled: (step, samples) =>
    set((state) => (state.live ? { live: { ...state.live, samples: [...state.live.samples, { step, samples }].slice(-6) } } : {})),
  liveNoticed: (message) =>
    set((state) => (state.live ? { live: { ...state.live, notices: [...state.live.notices, message].slice(-8) } } : {})),
  liveDataProgressed: (runId, data) =>
    set((state) =>
      state.live?.runId === runId ? { live: { ...state.live, dataProgress: withDataProgress(state.live.dataProgress, data) } } : {},
    ),
});
