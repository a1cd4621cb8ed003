/**
 * Where training news reaches the store, and the Train view's actions: start a run from the form (after the form,
 * the memory estimate and the device have all agreed), pause/stop/resume it, keep its record in the run history
 * (IndexedDB; progress saved at most every two seconds, status changes at once), and delete old runs with their
 * files. The engine worker sends progress batched at ≤10 Hz; each batch is one store update. Which base the next
 * run trains on is train-base.ts's.
 */
import {
  cutBackTo,
  deleteRun,
  loadRuns,
  newRunId,
  type RunPoint,
  type RunRecord,
  type RunStatus,
  saveRun,
  withPoints,
} from '../../library/run-history';
import type { TrainingConfig } from '../../train/config';
import type { MetricsHistory } from '../../train/metrics';
import { engineProblem } from '../../worker/client';
import { type DatasetSource, datasetSourceName, DEFAULT_READ_SETTINGS } from '../../data';
import { runSettingsFromDatasets } from '../../worker/dataset-run';
import type { TrainDatasetSettings, TrainFailure, TrainModelSource, TrainOutcome } from '../../worker/train-protocol';
import { controlRun, startRun, type TrainEvent, type TrainResult } from '../../worker/train-client';
import { engineClient, onEngineConnected, settingsAsShown } from '../engineBridge';
import type { FolderFile } from '../../worker/engine-types';
import { pickModel, type UserModelSource } from '../playground/model-files';
import { errorText } from '../format';
import { useStudio, whenSettled } from '../stores/studio';
import type { TrainProblem } from '../stores/trainSlice';
import { checkRunMemory } from './memory';
import { baseSettled, currentModelSource, inspectBase, isUserFiles, refOf } from './train-base';
import { fieldOfSetting, FORM_WORDS, formIssueMessage } from './form-settings';
import { sessionNoticeText } from '../../train/session-notice';
import { parseTrainForm } from './train-form';

const SAVE_INTERVAL_MS = 2000;

/** The files the user chose for the next run (Files stay out of the store). */
let chosenFile: File | null = null;
/** The base files (a GGUF or a folder's) of each run started or resumed in this page: Resume needs no new pick until a reload. */
const runModelFiles = new Map<string, UserModelSource>();
let initialized = false;
let lastSaved = 0;

/** Loads the run history (marking runs cut off by a reload) and reads the base's header once the engine is up. */
/** The method part of a run's name: 'r8', 'DoRA r8', 'IA³', 'prompt 20'. */
function runMethodTag(config: TrainingConfig): string {
  if (config.method === 'ia3') return 'IA³';
  if (config.method === 'prompt') return `prompt ${config.virtualTokens}`;
  return `${config.method === 'dora' ? 'DoRA ' : ''}r${config.rank}`;
}

export function initTrain(): void {
  if (initialized) return;
  initialized = true;
  loadRuns()
    .then((runs) => useStudio.getState().runsLoaded(runs))
    .catch((error: unknown) => useStudio.getState().runsFailed(`The run history could not be read: ${errorText(error)}`));
  onEngineConnected(() => void inspectBase(currentModelSource()));
}

/** A file read with the defaults: the shape detected, columns of the fields' own names, the Train form's split. */
const DEFAULT_RUN_DATASET: TrainDatasetSettings = { ...DEFAULT_READ_SETTINGS, split: null };

/**
 * How a new run reads its data: as the Datasets view shows it (shape, mapping, bad rows, split) when that view has
 * the same file open (or the sample, for the sample), so the run trains on the examples listed there.
 */
export function runDatasetSettings(data: DatasetSource): TrainDatasetSettings {
  const shown = settingsAsShown(data);
  return shown ? runSettingsFromDatasets(shown) : DEFAULT_RUN_DATASET;
}

/** Whether the next run trains what the Datasets view shows, read with its settings (the Train view says so). */
export function trainsAsShown(): boolean {
  return runDatasetSettings(nextDataSource()) !== DEFAULT_RUN_DATASET;
}

export function nextDataSource(): DatasetSource {
  const chosen = useStudio.getState().trainData;
  return chosen.kind === 'file' && chosenFile ? { kind: 'file', file: chosenFile } : { kind: 'sample' };
}

export function chooseTrainFile(file: File | null): void {
  chosenFile = file;
  useStudio.getState().trainDataChosen(file ? { kind: 'file', name: file.name, bytes: file.size } : { kind: 'sample' });
}

function record(id: string): RunRecord | undefined {
  return useStudio.getState().runs.find((r) => r.id === id);
}

/**
 * Puts the record in the store now, and in IndexedDB now (`urgent`) or with the first update two seconds after
 * the last write. Writes happen while an engine message is handled, never from a timer: that is when the engine
 * pauses its GPU work so the page has the CPU (see train-run.ts). The run's last state is always written urgently.
 */
function keep(next: RunRecord, urgent: boolean): void {
  useStudio.getState().runSaved(next);
  if (!urgent && performance.now() - lastSaved < SAVE_INTERVAL_MS) return;
  lastSaved = performance.now();
  saveRun(next).catch((error: unknown) => useStudio.getState().liveNoticed(`The run history could not be saved: ${errorText(error)}`));
}

/**
 * True once the engine's device is ready. Just after a page load the engine is still probing for it; Start or
 * Resume pressed then waits for the probe instead of being refused.
 */
async function deviceSettled(): Promise<boolean> {
  await whenSettled((state) => state.device.status === 'probing');
  return useStudio.getState().device.status === 'ready';
}

function isBusy(): boolean {
  const live = useStudio.getState().live;
  return live !== null && live.phase !== 'ended';
}

/** Checks the form, the base, the memory and the device; starts a new run when all agree. */
export async function startTraining(): Promise<void> {
  if (isBusy()) return;
  // Pressed just after a page load or a pick, Start waits for the device probe and the base's inspection.
  await Promise.all([deviceSettled(), baseSettled()]);
  const state = useStudio.getState();
  if (isBusy()) return;
  const model = state.trainModel.status === 'ready' ? state.trainModel.info : null;
  const parsed = parseTrainForm(state.trainForm, model?.config ?? null);
  if (!parsed.ok) {
    state.trainFormRejected(parsed.errors, { title: 'Some settings cannot be used', message: 'Fix the marked fields, then start again.' });
    return;
  }
  const client = engineClient();
  if (!client || state.device.status !== 'ready') {
    state.trainRefused({ title: 'No GPU device', message: 'Training needs the engine’s GPU device, which is not ready (see Device).' });
    return;
  }
  if (!model) {
    const why = state.trainModel.status === 'failed' ? state.trainModel.message : 'it is still being read';
    state.trainRefused({ title: 'The base model is not ready', message: `The base model cannot be used yet: ${why}.` });
    return;
  }
  const { samples, budgetBytes } = parsed.parsed;
  const report = state.device.report;
  const memory = checkRunMemory(parsed.parsed.config, model.config, { ...report.limits, memoryBytes: report.memoryBytes }, budgetBytes, model.storage);
  if (!memory.fits) {
    state.trainRefused({
      title: 'This run will not fit the GPU',
      message: memory.message,
    });
    return;
  }
  // The run is stored with the plan's micro-batch, accumulation and checkpointing: the worker plans it again and
  // keeps it, and a resume continues with it.
  const config = memory.config;
  const data = nextDataSource();
  const modelSource = currentModelSource();
  const datasetName = datasetSourceName(data);
  const now = Date.now();
  const run: RunRecord = {
    id: newRunId(),
    name: `${datasetName.replace(/\.[^.]+$/, '')} · ${model.name.replace(/\.gguf$/, '')} · ${runMethodTag(config)}`,
    createdAt: now,
    updatedAt: now,
    status: 'running',
    config,
    model: { name: model.name, source: refOf(modelSource) },
    dataset: { name: datasetName, source: data.kind },
    samples,
    step: 0,
    totalSteps: config.maxSteps ?? 0,
    checkpointStep: null,
    points: [],
    validations: [],
    bestValLoss: null,
    finalValLoss: null,
    adapterId: null,
    problem: null,
    lastSamples: null,
  };
  if (isUserFiles(modelSource)) runModelFiles.set(run.id, modelSource);
  await go(run, modelSource, data, runDatasetSettings(data), false, budgetBytes);
}

/**
 * Whether resuming this run needs its base picked again (a GGUF file or a folder the user gave, which this page
 * does not hold).
 */
export function needsModelFile(run: RunRecord): boolean {
  const kind = run.model.source.kind;
  return (kind === 'gguf-file' || kind === 'folder') && !runModelFiles.has(run.id);
}

/** The base the user gave again to resume: a GGUF file, or a folder's files (read as the base picker reads them). */
export type GivenBase = File | FolderFile[];

function givenSource(given: GivenBase): UserModelSource | string {
  if (given instanceof File) return { kind: 'gguf-file', file: given };
  const picked = pickModel(given);
  return picked.ok ? picked.source : picked.message;
}

/**
 * Continues a paused or interrupted run from its last checkpoint. A run on a GGUF file or a folder the user opened
 * needs it again after a reload (`given`); the worker checks it is the same base (checkSameBase).
 */
export async function resumeTraining(runId: string, given?: GivenBase): Promise<void> {
  if (!record(runId) || isBusy()) return;
  const settled = await deviceSettled();
  const run = record(runId);
  if (!run || isBusy()) return;
  const state = useStudio.getState();
  if (!engineClient() || !settled) {
    state.trainRefused({ title: 'No GPU device', message: 'Resuming needs the engine’s GPU device, which is not ready (see Device).', where: 'resume' });
    return;
  }
  let source: TrainModelSource;
  const ref = run.model.source;
  if (ref.kind === 'gguf-file' || ref.kind === 'folder') {
    const picked = given === undefined ? runModelFiles.get(run.id) : givenSource(given);
    if (picked === undefined || typeof picked === 'string') {
      const what = ref.kind === 'gguf-file' ? `${ref.name}, a file you opened` : `the folder ${ref.label}, which you opened`;
      state.trainRefused({
        title: 'The base model is needed again',
        message:
          typeof picked === 'string'
            ? `${picked} This run trained on ${what}.`
            : `This run trained on ${what}; the browser does not keep it across reloads. Choose it again to resume.`,
        where: 'resume',
      });
      return;
    }
    runModelFiles.set(run.id, picked);
    source = picked;
  } else {
    source = ref;
  }
  // A resumed run reads its own copy of the file with the settings saved beside it: these two are ignored.
  await go({ ...run, status: 'running', problem: null }, source, { kind: 'sample' }, DEFAULT_RUN_DATASET, true, undefined);
  keepResumable(run.id, run.status);
}

/**
 * A resume refused for its base (not the run's, or unreadable) leaves the run as it was, paused or interrupted,
 * with the reason shown, so the right base can still be given; given files are forgotten, so Resume asks again.
 */
function keepResumable(runId: string, before: RunStatus): void {
  const current = record(runId);
  if (current?.status !== 'failed' || current.problem?.kind !== 'model') return;
  runModelFiles.delete(runId);
  keep({ ...current, status: before }, true);
}

export function pauseTraining(): void {
  control('pause');
}

export function stopTraining(): void {
  control('stop');
}

function control(action: 'pause' | 'stop'): void {
  const live = useStudio.getState().live;
  const client = engineClient();
  if (!live || !client || (live.phase !== 'running' && live.phase !== 'starting')) return;
  controlRun(client, live.runId, action);
  useStudio.getState().liveUpdated({ phase: action === 'pause' ? 'pausing' : 'stopping' });
}

export async function removeRun(runId: string): Promise<void> {
  const client = engineClient();
  if (useStudio.getState().live?.runId === runId && isBusy()) return;
  try {
    await deleteRun(runId);
    if (client) await client.call('train-delete-files', { runId });
    useStudio.getState().runRemoved(runId);
  } catch (error) {
    useStudio.getState().runsFailed(`The run could not be deleted: ${errorText(error)}`);
  }
}

function fromHistory(run: RunRecord, history: MetricsHistory, fromStep: number): RunRecord {
  const cut = cutBackTo(run, fromStep);
  // The checkpoint's history is what the resumed run continues; fill in what the record lost (e.g. never saved).
  const known = new Map(cut.points.map((p) => [p.step, p]));
  const points: RunPoint[] = history.steps.map(
    (s) => known.get(s.step) ?? { step: s.step, loss: s.loss, learningRate: s.learningRate, gradNorm: s.gradNorm, tokensPerSecond: 0 },
  );
  return withPoints({ ...cut, points: [], validations: [] }, points, history.validations.map((v) => ({ step: v.step, loss: v.loss })));
}

async function go(
  run: RunRecord,
  model: TrainModelSource,
  data: DatasetSource,
  dataset: TrainDatasetSettings,
  resume: boolean,
  budgetBytes: number | undefined,
): Promise<void> {
  const client = engineClient();
  if (!client) return;
  const store = useStudio.getState();
  store.liveStarted(run.id);
  keep(run, true);
  const onEvent = (event: TrainEvent) => {
    const s = useStudio.getState();
    const current = record(run.id);
    if (!current) return;
    switch (event.kind) {
      case 'train-started': {
        s.liveUpdated({
          phase: 'running',
          data: { train: event.trainExamples, validation: event.validationExamples, streamed: event.streamed },
        });
        const next = resume ? fromHistory(current, event.history, event.fromStep) : current;
        keep({ ...next, dataset: { ...next.dataset, name: event.datasetName } }, true);
        return;
      }
      case 'train-progress': {
        const last = event.steps.at(-1);
        const points = event.steps.map((e) => ({
          step: e.step,
          loss: e.loss,
          learningRate: e.learningRate,
          gradNorm: e.gradNorm,
          tokensPerSecond: e.tokensPerSecond,
        }));
        let next = withPoints(current, points, event.validations.map((v) => ({ step: v.step, loss: v.loss })));
        if (last) {
          next = { ...next, totalSteps: last.totalSteps };
          const saveEvery = current.config.saveEvery;
          // The loop saves a checkpoint right after a step that is a multiple of saveEvery (the last one excepted).
          const saved = event.steps.filter((e) => saveEvery > 0 && e.step % saveEvery === 0 && e.step < e.totalSteps).at(-1);
          if (saved) next = { ...next, checkpointStep: saved.step };
          s.liveUpdated({ progress: last });
        }
        // A new checkpoint is saved to the history at once: it is what a reload would resume from.
        keep(next, next.checkpointStep !== current.checkpointStep);
        return;
      }
      case 'train-sample':
        s.liveSampled(event.step, event.samples);
        keep({ ...current, lastSamples: { step: event.step, samples: event.samples } }, false);
        return;
      case 'train-notice':
        s.liveNoticed(event.notice.kind === 'message' ? event.notice.message : sessionNoticeText(event.notice, FORM_WORDS));
        return;
      case 'train-data':
        // The latest figures only (the worker sends them at most ten times a second): not saved to the history.
        s.liveDataProgressed(event.runId, event.data);
        return;
    }
  };
  let result: TrainResult;
  try {
    result = await startRun(
      client,
      { runId: run.id, runName: run.name, model, data, dataset, config: run.config, resume, samples: run.samples, budgetBytes },
      onEvent,
    );
  } catch (error) {
    const text = engineProblem(error, 'device') ? `The engine stopped: ${errorText(error)}` : errorText(error);
    result = { ok: false, failure: { kind: 'interrupted', message: text, checkpointStep: record(run.id)?.checkpointStep ?? null } };
  }
  finish(run.id, result);
}

const STATUS_OF: Record<TrainOutcome['stopReason'], RunStatus> = {
  completed: 'finished',
  'early-stopped': 'finished',
  aborted: 'stopped',
  paused: 'paused',
};

const FAILURE_TITLES: Record<TrainFailure['kind'], string> = {
  config: 'A setting cannot be used',
  data: 'The dataset cannot be trained on',
  model: 'The base model could not be read',
  memory: 'This run will not fit the GPU',
  'non-finite': 'The loss became NaN or infinite',
  'device-lost': 'The GPU device was lost',
  interrupted: 'Training was interrupted',
  checkpoint: 'The checkpoint cannot be used',
  internal: 'The engine hit an unexpected error',
};

function failureProblem(failure: TrainFailure): TrainProblem {
  const resumable = failure.kind === 'device-lost' || failure.kind === 'interrupted';
  const how =
    failure.kind === 'device-lost'
      ? ' Once the device is back (see Device; reloading the page also gets a new one), press Resume to continue from the last checkpoint.'
      : resumable
        ? ' Press Resume to continue from the last checkpoint.'
        : '';
  const message = failure.issue ? formIssueMessage(failure.issue) : failure.message;
  return { title: FAILURE_TITLES[failure.kind], message: `${message}${how}` };
}

function finish(runId: string, result: TrainResult): void {
  const s = useStudio.getState();
  const current = record(runId);
  if (!current) return;
  if (result.ok) {
    const { outcome } = result;
    const status = STATUS_OF[outcome.stopReason];
    keep(
      {
        ...current,
        status,
        step: outcome.steps,
        totalSteps: outcome.totalSteps,
        checkpointStep: outcome.steps,
        bestValLoss: outcome.bestValLoss,
        finalValLoss: outcome.finalValLoss,
        adapterId: outcome.adapterId,
        problem: outcome.adapterProblem ? { kind: 'internal', message: outcome.adapterProblem } : null,
      },
      true,
    );
    s.liveUpdated({ phase: 'ended', outcome });
    return;
  }
  const { failure } = result;
  const resumable = failure.kind === 'device-lost' || failure.kind === 'interrupted' || failure.kind === 'non-finite';
  keep(
    {
      ...current,
      status: failure.kind === 'device-lost' || failure.kind === 'interrupted' ? 'interrupted' : 'failed',
      checkpointStep: resumable ? failure.checkpointStep : current.checkpointStep,
      problem: { kind: failure.kind, message: failureProblem(failure).message },
    },
    true,
  );
  s.liveUpdated({ phase: 'ended', problem: failureProblem(failure) });
  if (failure.kind === 'config' && failure.setting) {
    const field = fieldOfSetting(failure.setting);
    if (field) s.trainFormRejected({ [field]: failureProblem(failure).message }, failureProblem(failure));
  }
}
