/**
 * The Compare view's calls on the worker's comparison requests: the streamed events of each (its columns' tokens
 * and outcomes, or the evaluation's progress) reach the given callbacks; aborting `signal` asks the worker to stop,
 * and the promise then settles with what was done. A refusal rejects with an EngineError of domain 'compare'.
 */
import type { EngineClient } from './client';
import type {
  ColumnOutcome,
  ColumnPass,
  CompareColumn,
  CompareDatasetSource,
  CompareEvalSettings,
  CompareCompressRequest,
  CompareGenerated,
  CompressionSummary,
  EvalColumnResult,
  EvalSummary,
} from './compare-protocol';
import type { GenerateSettings, GenerationProgress } from './protocol';
import type { CompressionRow } from '../export/compression';

export interface GenerateHandlers {
  onToken(column: number, progress: GenerationProgress, pass: ColumnPass): void;
  onColumnDone(column: number, result: ColumnOutcome): void;
}

export interface EvalProgressUpdate {
  column: number;
  batchesDone: number;
  batches: number;
  results: EvalColumnResult[];
}

/** Generates in every column (the batchable ones together); resolves with each column's outcome. */
export function compareGenerate(
  client: EngineClient,
  settings: GenerateSettings,
  columns: CompareColumn[],
  handlers: GenerateHandlers,
  signal?: AbortSignal,
): Promise<CompareGenerated> {
  return client.call(
    'compare-generate',
    { settings, columns },
    {
      signal,
      onEvent: (event) => {
        if (event.kind === 'compare-token') handlers.onToken(event.column, event.progress, event.pass);
        else handlers.onColumnDone(event.column, event.result);
      },
    },
  );
}

/** Measures every column on the dataset's validation split; resolves with null when cancelled. */
export function compareEvaluate(
  client: EngineClient,
  source: CompareDatasetSource,
  settings: CompareEvalSettings,
  columns: CompareColumn[],
  mapping: Readonly<Record<string, string>>,
  onProgress: (progress: EvalProgressUpdate) => void,
  signal?: AbortSignal,
): Promise<EvalSummary | null> {
  return client.call(
    'compare-evaluate',
    { source, settings, columns, mapping },
    {
      signal,
      onEvent: ({ column, batchesDone, batches, results }) => onProgress({ column, batchesDone, batches, results }),
    },
  );
}

/** The compression table of one column; `onProgress` gets the rows measured so far. Resolves with null when cancelled. */
export function compareCompress(
  client: EngineClient,
  request: CompareCompressRequest,
  onProgress: (rows: CompressionRow[], total: number) => void,
  signal?: AbortSignal,
): Promise<CompressionSummary | null> {
  return client.call('compare-compress', request, { signal, onEvent: ({ rows, total }) => onProgress(rows, total) });
}
