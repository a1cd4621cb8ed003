/**
 * The run history: every training run started in the studio, in IndexedDB on this machine, with its settings,
 * dataset, base, status and metric points, so the Train view can list runs, redraw their curves and resume one
 * after a reload. A run found 'running' when the page loads was cut off (the worker died with the page): it is
 * marked 'interrupted' and can resume from its last checkpoint (the checkpoints themselves live in OPFS,
 * src/train/storage-opfs.ts).
 *
 * The pure record updates (points merged by step, cut back to a checkpoint, thinned) are separate from the
 * database calls so they can be tested in Node.
 */
import type { TrainingConfig } from '../train/config';
import type { SampleSettings, TrainFailureKind, TrainSample } from '../worker/train-protocol';
import { recordStore } from './record-store';

export type RunStatus = 'running' | 'paused' | 'stopped' | 'finished' | 'failed' | 'interrupted';

export interface RunPoint {
  step: number;
  loss: number;
  learningRate: number;
  gradNorm: number;
  tokensPerSecond: number;
}

export interface RunValidationPoint {
  step: number;
  loss: number;
}

/**
 * The base as a run record keeps it: a bundled model, the name and size of a GGUF file, or the label, file count
 * and size of a Hugging Face folder (never their bytes).
 */
export type RunModelRef =
  | { kind: 'bundled'; id: string; format: 'gguf' | 'hf' }
  | { kind: 'gguf-file'; name: string; bytes: number }
  | { kind: 'folder'; label: string; files: number; bytes: number }
  | { kind: 'cached'; key: string; label: string };

export interface RunRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  status: RunStatus;
  config: TrainingConfig;
  model: { name: string; source: RunModelRef };
  dataset: { name: string; source: 'sample' | 'file' };
  samples: SampleSettings;
  /** Optimizer steps done, and planned (0 until the first step reports it). */
  step: number;
  totalSteps: number;
  /** Step of the last checkpoint a resume continues from (null: none yet). */
  checkpointStep: number | null;
  points: RunPoint[];
  validations: RunValidationPoint[];
  bestValLoss: number | null;
  finalValLoss: number | null;
  /** The adapter library entry the run made, if any. */
  adapterId: string | null;
  problem: { kind: TrainFailureKind | 'reload'; message: string } | null;
  lastSamples: { step: number; samples: TrainSample[] } | null;
}

/** Points kept per run; a longer run keeps every other point of its older half, so the curve keeps its shape. */
export const MAX_POINTS = 2000;

/** Adds step points and validations, replacing any of the same step (a resumed run repeats none, but be safe). */
export function withPoints(record: RunRecord, points: readonly RunPoint[], validations: readonly RunValidationPoint[]): RunRecord {
  const merged = mergeByStep(record.points, points);
  return {
    ...record,
    points: merged.length > MAX_POINTS ? thin(merged, MAX_POINTS) : merged,
    validations: mergeByStep(record.validations, validations),
    step: Math.max(record.step, points.at(-1)?.step ?? 0),
    bestValLoss: [...(record.bestValLoss === null ? [] : [record.bestValLoss]), ...validations.map((v) => v.loss)].reduce<
      number | null
    >((best, loss) => (Number.isFinite(loss) && (best === null || loss < best) ? loss : best), null),
  };
}

/** The record as the checkpoint it resumes from left it: points after `step` were never saved, so they go. */
export function cutBackTo(record: RunRecord, step: number): RunRecord {
  const validations = record.validations.filter((v) => v.step <= step);
  const losses = validations.map((v) => v.loss).filter(Number.isFinite);
  return {
    ...record,
    step,
    checkpointStep: step === 0 ? record.checkpointStep : step,
    points: record.points.filter((p) => p.step <= step),
    validations,
    bestValLoss: losses.length ? Math.min(...losses) : null,
  };
}

/** A run that was 'running' when the page went away. */
export function interrupted(record: RunRecord): RunRecord {
  if (record.status !== 'running') return record;
  const message =
    record.checkpointStep === null
      ? 'The page was closed or reloaded during this run before any checkpoint was saved; resuming starts it over.'
      : `The page was closed or reloaded during this run; it can resume from its checkpoint at step ${record.checkpointStep}.`;
  return { ...record, status: 'interrupted', problem: { kind: 'reload', message } };
}

function mergeByStep<T extends { step: number }>(old: readonly T[], added: readonly T[]): T[] {
  if (added.length === 0) return [...old];
  const first = added[0].step;
  // The common case: new points all come after the old ones.
  if (old.length === 0 || old[old.length - 1].step < first) return [...old, ...added];
  const byStep = new Map(old.map((p) => [p.step, p]));
  for (const p of added) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

function thin<T>(points: readonly T[], max: number): T[] {
  const keepWhole = Math.floor(max / 2);
  const old = points.slice(0, points.length - keepWhole).filter((_, i) => i % 2 === 0);
  return [...old, ...points.slice(points.length - keepWhole)];
}

// IndexedDB (see record-store.ts).

const runs = recordStore<RunRecord>('webtune-runs', 'runs');

export function newRunId(): string {
  return `r-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function saveRun(record: RunRecord): Promise<void> {
  await runs.put({ ...record, updatedAt: Date.now() });
}

export async function getRun(id: string): Promise<RunRecord | null> {
  return (await runs.get(id)) ?? null;
}

/** Every run, newest first; runs cut off by a page load are marked 'interrupted' (and saved so) first. */
export async function loadRuns(): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for (const record of await runs.getAll()) {
    const checked = interrupted(record);
    if (checked !== record) await runs.put(checked);
    out.push(checked);
  }
  return out.reverse();
}

export async function deleteRun(id: string): Promise<void> {
  await runs.delete(id);
}
