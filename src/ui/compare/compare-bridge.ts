/**
 * Where the Compare view's work reaches the engine, the adapter library and the history, and their answers reach
 * the store: streamed column text is throttled to ten updates a second, a finished comparison is saved to the
 * history (a stopped one is not), and an evaluation of the same columns is added to it.
 */
import { type ComparisonRecord, CompareHistory, newComparisonId } from '../../library/compare-history';
import { listAdapters } from '../../library/adapter-library';
import { engineProblem } from '../../worker/client';
import { compareCompress, compareEvaluate, compareGenerate } from '../../worker/compare-client';
import type { CompareDatasetSource, CompareEvalSettings, CompareProblemKind } from '../../worker/compare-protocol';
import { engineClient, settingsAsShown } from '../engineBridge';
import { parseForm } from '../playground/settings';
import type { ShownProblem } from '../stores/playgroundSlice';
import { useStudio } from '../stores/studio';
import { StoppableRun } from '../stoppable-run';
import { TASK_PROBLEM_TITLES } from '../task-problem-titles';
import { throttleLatest } from '../throttle';
import { type ColumnProgress, waitingColumns } from './column-views';
import { columnsOf, parseEvalForm } from './compare-form';
import { evaluationOf, recordOfRun, withEvaluation } from './history-record';

const PROGRESS_INTERVAL_MS = 100;

const history = new CompareHistory();
const comparison = new StoppableRun();
const evaluation = new StoppableRun();
const compression = new StoppableRun();
/** The file picked for the evaluation (Files are not store data). */
let evalFile: File | null = null;
/** The last comparison saved from this view: an evaluation of the same columns is added to it. */
let current: ComparisonRecord | null = null;

const TITLES: Record<CompareProblemKind, string> = {
  ...TASK_PROBLEM_TITLES,
  'adapter-mismatch': 'This adapter is for another base model',
  'adapter-missing': 'An adapter could not be read',
  dataset: 'This dataset cannot be used',
  // A comparison reads adapter files too, and the base is one column among several.
  'model-format': 'A file could not be read',
  'no-model': 'No base model is loaded',
};

function problemOf(error: unknown): ShownProblem {
  const problem = engineProblem(error, 'compare') ?? engineProblem(error, 'task');
  if (problem) return { title: TITLES[problem.kind], message: problem.message };
  const device = engineProblem(error, 'device');
  if (device) return { title: 'The engine has no GPU device', message: `${device.message} (see Device)` };
  return { title: 'Something went wrong', message: error instanceof Error ? error.message : String(error) };
}

function storageProblem(what: string, error: unknown): ShownProblem {
  return { title: `The ${what} could not be read or written`, message: error instanceof Error ? error.message : String(error) };
}

/** Lists the library's adapters (the view calls it when it opens, and on Refresh). */
export async function refreshCompareLibrary(): Promise<void> {
  useStudio.getState().compareLibraryLoading();
  try {
    const records = await listAdapters();
    useStudio.getState().compareLibraryListed(records.map((r) => ({ id: r.id, name: r.name, baseModel: r.baseModel, method: r.method })));
  } catch (error) {
    useStudio.getState().compareLibraryFailed(storageProblem('adapter library', error));
  }
}

export async function refreshCompareHistory(): Promise<void> {
  useStudio.getState().compareHistoryLoading();
  try {
    useStudio.getState().compareHistoryListed(await history.list());
  } catch (error) {
    useStudio.getState().compareHistoryFailed(storageProblem('comparison history', error));
  }
}

async function saveToHistory(record: ComparisonRecord): Promise<boolean> {
  try {
    await history.save(record);
    useStudio.getState().compareHistoryProblemShown(null);
    await refreshCompareHistory();
    return true;
  } catch (error) {
    useStudio.getState().compareHistoryProblemShown(storageProblem('comparison history', error));
    return false;
  }
}

function chosenColumns() {
  const state = useStudio.getState();
  if (state.model.status !== 'ready') return null;
  const adapters = state.compareLibrary.status === 'ready' ? state.compareLibrary.adapters : [];
  return columnsOf(state.model.summary.name, state.compareSelected, adapters);
}

/** Runs the form's prompt through the base and each chosen adapter, or marks the fields that are wrong. */
export async function startComparison(): Promise<void> {
  const client = engineClient();
  const state = useStudio.getState();
  const columns = chosenColumns();
  if (!client || !columns || state.model.status !== 'ready' || state.compareRun.status === 'running') return;
  const parsed = parseForm(state.compareForm, state.model.summary.contextLength);
  if (!parsed.ok) {
    state.compareFormRejected(parsed.errors);
    return;
  }
  const { settings } = parsed;
  const model = state.model.summary.name;
  await comparison.run(
    async (signal, isCurrent) => {
      state.compareStarted(settings, waitingColumns(columns));
      // Every column's latest progress, applied together at most PROGRESS_INTERVAL_MS apart: the batched columns
      // stream at once, and one column's update must not push out another's.
      const latest = new Map<number, ColumnProgress>();
      const progress = throttleLatest(() => {
        const updates = [...latest.values()];
        latest.clear();
        useStudio.getState().compareProgressed(updates);
      }, PROGRESS_INTERVAL_MS);
      const result = await compareGenerate(
        client,
        settings,
        columns,
        {
          onToken: (column, p, pass) => {
            latest.set(column, { column, progress: p, pass });
            progress.push(undefined);
          },
          onColumnDone: (column, outcome) => {
            latest.delete(column);
            useStudio.getState().compareColumnDone(column, outcome);
          },
        },
        signal,
      ).finally(() => progress.cancel());
      if (!isCurrent()) return;
      useStudio.getState().compareFinished(result.stopped);
      const run = useStudio.getState().compareRun;
      const record = run.status === 'done' && !run.stopped ? recordOfRun(newComparisonId(), Date.now(), model, settings, run.columns) : null;
      if (record && (await saveToHistory(record))) current = record;
    },
    (error) => useStudio.getState().compareFailed(problemOf(error)),
  );
}

/** Stops the comparison after its current token; later columns are skipped, and nothing is saved. */
export function stopComparison(): void {
  comparison.stop(() => useStudio.getState().compareStopping());
}

/** The evaluation's dataset: the sample, or a file the user picked. */
export function chooseEvalDataset(file: File | null): void {
  evalFile = file;
  useStudio.getState().compareEvalDatasetChosen(file ? { kind: 'file', name: file.name } : { kind: 'sample' });
}

/** The Evaluation form's settings and dataset, which the compression table uses too; null (fields marked) when the form is wrong. */
function evalDataset(): { settings: CompareEvalSettings; source: CompareDatasetSource } | null {
  const state = useStudio.getState();
  const parsed = parseEvalForm(state.compareEvalForm);
  if (!parsed.ok) {
    state.compareEvalRejected(parsed.errors);
    return null;
  }
  const source: CompareDatasetSource =
    state.compareEvalDataset.kind === 'file' && evalFile ? { kind: 'file', file: evalFile } : { kind: 'sample' };
  return { settings: parsed.settings, source };
}

/** Measures validation loss and perplexity of the base and each chosen adapter. */
export async function startEvaluation(): Promise<void> {
  const client = engineClient();
  const state = useStudio.getState();
  const columns = chosenColumns();
  if (!client || !columns || state.compareEval.status === 'running') return;
  const parsed = evalDataset();
  if (!parsed) return;
  const { source } = parsed;
  await evaluation.run(
    async (signal, isCurrent) => {
      state.compareEvalStarted(columns.map((c) => ({ label: c.label, adapterId: c.adapterId })));
      const progress = throttleLatest(useStudio.getState().compareEvalProgressed, PROGRESS_INTERVAL_MS);
      const mapping = mappingAsShown(source);
      const summary = await compareEvaluate(client, source, parsed.settings, columns, mapping, progress.push, signal).finally(() =>
        progress.cancel(),
      );
      if (!isCurrent()) return;
      if (!summary) {
        useStudio.getState().compareEvalCancelled();
        return;
      }
      // Only the comparison of this very base and these adapters gets the table.
      const sameBase = current !== null && state.model.status === 'ready' && current.model === state.model.summary.name;
      const joined = current && sameBase ? withEvaluation(current, columns, evaluationOf(summary, columns, parsed.settings.seqLen)) : null;
      const saved = joined ? await saveToHistory(joined) : false;
      if (saved) current = joined;
      useStudio.getState().compareEvalDone(summary, parsed.settings.seqLen, saved);
    },
    (error) => useStudio.getState().compareEvalFailed(problemOf(error)),
  );
}

/**
 * The compression table of the chosen column `index` (0: the base alone): every GGUF type, base and merged, on the
 * evaluation's dataset and settings.
 */
export async function startCompression(index: number): Promise<void> {
  const client = engineClient();
  const state = useStudio.getState();
  const column = chosenColumns()?.[index];
  if (!client || !column || state.compareCompress.status === 'running') return;
  const parsed = evalDataset();
  if (!parsed) return;
  const { source } = parsed;
  await compression.run(
    async (signal, isCurrent) => {
      state.compareCompressStarted(column.label);
      const request = { source, settings: parsed.settings, mapping: mappingAsShown(source), column };
      const summary = await compareCompress(client, request, (rows, total) => useStudio.getState().compareCompressProgressed(rows, total), signal);
      if (!isCurrent()) return;
      if (summary) useStudio.getState().compareCompressDone(summary);
      else useStudio.getState().compareCompressCancelled();
    },
    (error) => useStudio.getState().compareCompressFailed(problemOf(error)),
  );
}

export function cancelCompression(): void {
  compression.stop(() => useStudio.getState().compareCompressCancelling());
}

export function cancelEvaluation(): void {
  evaluation.stop(() => useStudio.getState().compareEvalCancelling());
}

export async function openHistoryEntry(id: string): Promise<void> {
  try {
    const record = await history.get(id);
    useStudio.getState().compareOpen(record);
    if (!record) await refreshCompareHistory();
  } catch (error) {
    useStudio.getState().compareHistoryProblemShown(storageProblem('comparison history', error));
  }
}

export async function deleteHistoryEntry(id: string): Promise<void> {
  try {
    await history.delete(id);
    if (current?.id === id) current = null;
    await refreshCompareHistory();
  } catch (error) {
    useStudio.getState().compareHistoryProblemShown(storageProblem('comparison history', error));
  }
}

/** The Datasets view's column mapping when the evaluated dataset is the one open there (the file, or the sample). */
function mappingAsShown(source: CompareDatasetSource): Readonly<Record<string, string>> {
  return settingsAsShown(source)?.mapping ?? {};
}
