/**
 * How a finished comparison becomes a history record, and how an evaluation of the same columns joins it. Only
 * whole results are kept: a stopped comparison or a cancelled evaluation is not saved.
 */
import type { ComparisonRecord, HistoryEvaluation } from '../../library/compare-history';
import type { CompareColumn, EvalSummary } from '../../worker/compare-protocol';
import type { GenerateSettings } from '../../worker/protocol';
import type { ColumnView } from './column-views';

/** The record of a comparison whose every column ended, or null if any was stopped before it ran. */
export function recordOfRun(
  id: string,
  createdAt: number,
  model: string,
  settings: GenerateSettings,
  views: readonly ColumnView[],
): ComparisonRecord | null {
  if (views.some((v) => v.status !== 'done' && v.status !== 'failed')) return null;
  if (views.some((v) => v.stopReason === 'aborted')) return null;
  return {
    id,
    createdAt,
    model,
    settings,
    columns: views.map((v) => ({
      label: v.label,
      adapterId: v.adapterId,
      text: v.text,
      tokens: v.tokens,
      tokensPerSecond: v.tokensPerSecond,
      stopReason: v.stopReason,
      problem: v.problem,
    })),
    evaluation: null,
  };
}

/** Whether an evaluation of `columns` belongs to `record`: the same base and adapters, in the same order. */
export function sameColumns(record: Pick<ComparisonRecord, 'columns'>, columns: readonly CompareColumn[]): boolean {
  return record.columns.length === columns.length && record.columns.every((c, i) => c.adapterId === columns[i].adapterId);
}

export function evaluationOf(summary: EvalSummary, columns: readonly CompareColumn[], seqLen: number): HistoryEvaluation {
  return {
    dataset: summary.dataset,
    examples: summary.examples,
    seqLen,
    rows: summary.results.map((r, i) => ({
      label: columns[i]?.label ?? `Column ${i + 1}`,
      meanLoss: r.meanLoss,
      perplexity: r.perplexity,
      trainedTokens: r.trainedTokens,
    })),
  };
}

/** The record with this evaluation, or null when the evaluation is of other columns. */
export function withEvaluation(record: ComparisonRecord, columns: readonly CompareColumn[], evaluation: HistoryEvaluation): ComparisonRecord | null {
  return sameColumns(record, columns) ? { ...record, evaluation } : null;
}
