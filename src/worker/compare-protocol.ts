/**
 * The engine worker's comparison requests (`CompareRequests`, joined into the one map in protocol.ts).
 *
 * A comparison runs one prompt through the loaded base and through each chosen library adapter attached to it under
 * the worker's GPU lock: the base and the LoRA adapters in one batched pass (their columns stream together), each
 * other adapter in a pass of its own after it; an evaluation measures the same columns' loss on a dataset.
 * Events carry `requestId` (never `id`, see protocol.ts); a refusal of the whole request is a failure reply
 * carrying a CompareProblem (domain 'compare'). A `cancel` naming the request stops it; it still answers.
 */
import type { DatasetShape, DatasetSource } from '../data';
import type { GenerateSettings, GenerationOutcome, GenerationProgress, TaskProblemKind } from './engine-types';
import type { Spec } from './request-spec';
import type { CompressionRow } from '../export/compression';

/** One column: the base alone (adapterId null) or the base with a library adapter attached. */
export interface CompareColumn {
  adapterId: string | null;
  /** What the column is called on screen ("Base: stories260K", the adapter's name); echoed in messages. */
  label: string;
}

/**
 * Why a comparison could not run. 'adapter-mismatch': an adapter was made for another base (the message names
 * both); 'adapter-missing': the library has no such adapter (deleted meanwhile) or its files are unreadable;
 * 'dataset': the evaluation dataset cannot be used; the rest as for a generation.
 */
export type CompareProblemKind = TaskProblemKind | 'adapter-mismatch' | 'adapter-missing' | 'dataset';

export interface CompareProblem {
  kind: CompareProblemKind;
  message: string;
}

/**
 * How a column is generated: in the one batched pass of the base and the LoRA adapters (`columns` of them, the
 * adapters resident in `slotBytes` of GPU memory beside the base), or in a pass of its own, saying why (DoRA, IA³
 * and prompt tuning cannot share the batch).
 */
export type ColumnPass = { kind: 'batched'; columns: number; slotBytes: number } | { kind: 'own'; reason: string };

/** How one column's generation ended: its outcome, why it failed, or 'skipped' (stopped before it began). */
export type ColumnOutcome =
  | { status: 'done'; outcome: GenerationOutcome; pass: ColumnPass }
  | { status: 'failed'; problem: CompareProblem }
  | { status: 'skipped' };

/** Where the evaluation's examples come from: the sample shipped with the studio, or a file the user picked. */
export type CompareDatasetSource = DatasetSource;

export interface CompareEvalSettings {
  /** Dataset shape; 'auto' detects it as the Datasets view does. */
  format: DatasetShape | 'auto';
  /** Tokens per example; longer ones are cut. */
  seqLen: number;
  /** Sequences per forward pass. */
  batchSize: number;
  /** Share held out as the validation set (what is evaluated), in (0, 1); seeded split as in training. */
  validationFraction: number;
  seed: number;
  trainOnInputs: boolean;
}

export interface EvalColumnResult {
  meanLoss: number;
  perplexity: number;
  trainedTokens: number;
}

export interface EvalSummary {
  /** The dataset's file name. */
  dataset: string;
  /** Validation examples evaluated, and the examples cut to the sequence length among all. */
  examples: number;
  truncated: number;
  /** One per column, in the request's order. */
  results: EvalColumnResult[];
}

// Main thread → worker.

/** Generates `settings` once per column (same seed and sampling each); streams `compare-token` events. */
export interface CompareGenerateRequest {
  settings: GenerateSettings;
  columns: CompareColumn[];
}

/** Loss and perplexity of each column on a dataset's validation split; streams `compare-eval-progress`. */
export interface CompareEvaluateRequest {
  source: CompareDatasetSource;
  settings: CompareEvalSettings;
  columns: CompareColumn[];
  /**
   * Field → column, as the Datasets view maps them when the evaluated file is the one open there (so a file with
   * custom column names evaluates as it trains); empty reads each field from the column of its own name.
   */
  mapping: Readonly<Record<string, string>>;
}

/**
 * The compression table of one column (export/compression.ts): every GGUF type of the base alone and, for an
 * adapter column, with that adapter merged, each measured on the evaluation's dataset and settings.
 */
export interface CompareCompressRequest {
  source: CompareDatasetSource;
  settings: CompareEvalSettings;
  mapping: Readonly<Record<string, string>>;
  column: CompareColumn;
}

export interface CompressionSummary {
  dataset: string;
  examples: number;
  /** The column whose adapter the merged rows hold. */
  label: string;
  rows: CompressionRow[];
}

// Worker → main thread.

/** A column's text so far, and the pass it is generated in. */
export interface CompareTokenEvent {
  kind: 'compare-token';
  requestId: number;
  column: number;
  progress: GenerationProgress;
  pass: ColumnPass;
}

/** A column finished (or could not run). */
export interface CompareColumnDoneEvent {
  kind: 'compare-column-done';
  requestId: number;
  column: number;
  result: ColumnOutcome;
}

export interface CompareEvalProgressEvent {
  kind: 'compare-eval-progress';
  requestId: number;
  column: number;
  batchesDone: number;
  batches: number;
  /** Results of the columns already measured. */
  results: EvalColumnResult[];
}

export interface CompareCompressProgressEvent {
  kind: 'compare-compress-progress';
  requestId: number;
  /** The variants measured so far, of `total`. */
  rows: CompressionRow[];
  total: number;
}

/** Every column's outcome; `stopped`: a cancel ended the run (later columns then say 'aborted'). */
export interface CompareGenerated {
  columns: ColumnOutcome[];
  stopped: boolean;
}

/** kind → what the request carries, its reply, and the events it sends before the reply. */
export interface CompareRequests {
  'compare-generate': Spec<CompareGenerateRequest, CompareGenerated, CompareTokenEvent | CompareColumnDoneEvent>;
  /** null: cancelled before every column was measured (partial numbers are not reported as results). */
  'compare-evaluate': Spec<CompareEvaluateRequest, EvalSummary | null, CompareEvalProgressEvent>;
  /** null: cancelled before every variant was measured. */
  'compare-compress': Spec<CompareCompressRequest, CompressionSummary | null, CompareCompressProgressEvent>;
}
