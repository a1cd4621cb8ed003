/**
 * Validation loss and perplexity of each comparison column on a dataset, as `webtune eval` measures them
 * (src/train/evaluate.ts's adapterMeanLoss): the same data path (prepareDataset → fixedOrderBatches) and the
 * model's loss, the training forward with only trained tokens counted. Here the examples are the dataset's seeded
 * validation split, progress is reported per batch, and a cancel stops between batches.
 */
import { type AnyAdapter } from '../adapters/any-adapter';
import { DatasetError, type ParseResult, prepareDataset } from '../data';
import type { GpuContext } from '../gpu/context';
import { adapterMeanLoss, evaluationBatches } from '../train/evaluate';
import type { CompareEvalSettings, EvalColumnResult, EvalSummary } from './compare-protocol';
import type { ModelSession } from './model-session';

export interface EvalProgress {
  column: number;
  batchesDone: number;
  batches: number;
  results: EvalColumnResult[];
}

/** The dataset's seeded validation split as the evaluation tokenizes it; refused when the split is empty. */
function validationExamples(session: ModelSession, parsed: ParseResult, datasetName: string, settings: CompareEvalSettings) {
  const { tokenizer, template } = session.dataTokenizer();
  const prepared = prepareDataset(parsed, {
    tokenizer,
    template,
    seqLen: settings.seqLen,
    trainOnInputs: settings.trainOnInputs,
    validationFraction: settings.validationFraction,
    seed: settings.seed,
    file: datasetName,
  });
  if (prepared.validation.length === 0) {
    throw new DatasetError(datasetName, 'no examples are left for validation; raise the validation share');
  }
  return prepared;
}

/** The validation split's batches for the base alone (the compression table measures files, not adapters). */
export function validationBatches(session: ModelSession, parsed: ParseResult, datasetName: string, settings: CompareEvalSettings) {
  const prepared = validationExamples(session, parsed, datasetName, settings);
  return { validation: prepared.validation.length, ...evaluationBatches(prepared.validation, settings.batchSize, settings.seqLen, null) };
}

/** Returns null when `signal` stopped it before every column was measured. */
export async function evaluateColumns(
  ctx: GpuContext,
  session: ModelSession,
  adapters: readonly (AnyAdapter | null)[],
  parsed: ParseResult,
  datasetName: string,
  settings: CompareEvalSettings,
  signal: AbortSignal,
  onProgress: (progress: EvalProgress) => void,
): Promise<EvalSummary | null> {
  const prepared = validationExamples(session, parsed, datasetName, settings);
  // The session's own upload, lent (never written): the forward reads the Playground's weights, no second copy.
  const base = session.lendBase();
  const uploaded = base.uploaded;
  const results: EvalColumnResult[] = [];
  try {
    for (let column = 0; column < adapters.length; column++) {
      // Each column's batches: the same examples, after a prompt-tuning column's virtual tokens.
      const { batches, maxTokens } = evaluationBatches(prepared.validation, settings.batchSize, settings.seqLen, adapters[column]);
      onProgress({ column, batchesDone: 0, batches: batches.length, results: [...results] });
      const result = await adapterMeanLoss(ctx, uploaded, adapters[column], batches, {
        maxTokens,
        signal,
        onBatch: (done) => onProgress({ column, batchesDone: done, batches: batches.length, results: [...results] }),
      });
      if (!result) return null;
      results.push(result);
    }
  } finally {
    base.release();
  }
  return { dataset: datasetName, examples: prepared.validation.length, truncated: prepared.truncatedCount, results };
}
