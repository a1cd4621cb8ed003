/**
 * The evaluation: each column's loss and perplexity on a dataset's validation split (the Datasets view's seeded
 * split), with progress by batch and a Cancel that stops between batches.
 */
import { useShallow } from 'zustand/react/shallow';
import { cancelEvaluation, chooseEvalDataset, startEvaluation } from '../../compare/compare-bridge';
import type { EvalNumberField } from '../../compare/compare-form';
import { DATASET_EXTENSIONS } from '../../../data';
import { openDatasetFile } from '../../engineBridge';
import { useStudio } from '../../stores/studio';
import { NumberBox } from '../NumberBox';
import { ProblemMessage } from '../playground/ProblemMessage';
import { EvalTable, type EvalRow } from './EvalTable';

const FIELDS: { field: EvalNumberField; label: string; hint: string; decimal: boolean }[] = [
  { field: 'seqLen', label: 'Sequence length', hint: 'Longer examples are cut.', decimal: false },
  { field: 'validationPercent', label: 'Validation %', hint: 'Held out, seed 0, as in Datasets.', decimal: true },
  { field: 'batchSize', label: 'Batch size', hint: 'Sequences per pass.', decimal: false },
];

/** The pill colours of the Playground's run states. */
const EVAL_STATUS_CLASS = { idle: 'idle', running: 'running', done: 'done', cancelled: 'idle', failed: 'failed' } as const;

export function CompareEvaluation() {
  const { form, errors, edit, dataset, evaluation } = useStudio(
    useShallow((s) => ({
      form: s.compareEvalForm,
      errors: s.compareEvalErrors,
      edit: s.editCompareEvalForm,
      dataset: s.compareEvalDataset,
      evaluation: s.compareEval,
    })),
  );
  const modelReady = useStudio((s) => s.model.status === 'ready');
  // Re-read when the Datasets view opens or closes a file (the File itself is not store data).
  useStudio((s) => s.dataset.status);
  const datasetsFile = openDatasetFile();
  const running = evaluation.status === 'running';
  const canRun = modelReady && !running;
  return (
    <section className="panel" aria-labelledby="compare-eval-title" aria-busy={running}>
      <div className="panel-head">
        <h3 id="compare-eval-title">Evaluation</h3>
        <span className={`status status-generation-${EVAL_STATUS_CLASS[evaluation.status]}`} role="status">
          {evaluation.status === 'idle'
            ? 'Idle'
            : evaluation.status === 'running'
              ? 'Evaluating'
              : evaluation.status === 'done'
                ? 'Done'
                : evaluation.status === 'cancelled'
                  ? 'Cancelled'
                  : 'Failed'}
        </span>
      </div>
      <form
        className="compare-eval-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (canRun) void startEvaluation();
        }}
      >
        <fieldset className="compare-eval-source" disabled={running}>
          <legend className="field-label">Dataset</legend>
          <label className="toggle">
            <input type="radio" name="compare-eval-source" checked={dataset.kind === 'sample'} onChange={() => chooseEvalDataset(null)} />
            Sample: moon-stories.jsonl
          </label>
          {datasetsFile && !(dataset.kind === 'file' && dataset.name === datasetsFile.name) && (
            <button type="button" className="button secondary small" onClick={() => chooseEvalDataset(datasetsFile)}>
              Use {datasetsFile.name} (open in Datasets)
            </button>
          )}
          <label className="file-button button secondary small">
            {dataset.kind === 'file' ? `File: ${dataset.name}` : 'Choose a file…'}
            <input
              type="file"
              className="visually-hidden"
              aria-label="Choose an evaluation dataset"
              accept={DATASET_EXTENSIONS.join(',')}
              onChange={(e) => {
                const file = e.currentTarget.files?.[0];
                if (file) chooseEvalDataset(file);
                e.currentTarget.value = '';
              }}
            />
          </label>
        </fieldset>
        <div className="settings-grid">
          {FIELDS.map(({ field, label, hint, decimal }) => (
            <NumberBox
              key={field}
              id={`compare-eval-${field}`}
              label={label}
              hint={hint}
              value={form[field]}
              error={errors[field]}
              decimal={decimal}
              disabled={running}
              onChange={(v) => edit({ [field]: v })}
            />
          ))}
        </div>
        <label className="toggle">
          <input type="checkbox" checked={form.trainOnInputs} disabled={running} onChange={(e) => edit({ trainOnInputs: e.currentTarget.checked })} />
          Count prompt tokens too
        </label>
        <div className="generate-actions">
          <button type="submit" className="button" aria-disabled={!canRun}>
            Evaluate
          </button>
          <button
            type="button"
            className="button secondary"
            aria-disabled={!running || evaluation.cancelling}
            onClick={() => {
              if (running && !evaluation.cancelling) cancelEvaluation();
            }}
          >
            {running && evaluation.cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
          <p className="muted generate-hint">{modelReady ? 'The base and each chosen adapter, in turn.' : 'Load a model first.'}</p>
        </div>
      </form>
      <EvalBody />
    </section>
  );
}

function EvalBody() {
  const evaluation = useStudio((s) => s.compareEval);
  switch (evaluation.status) {
    case 'idle':
      return <p className="empty-state">Press Evaluate to measure each column’s validation loss and perplexity.</p>;
    case 'cancelled':
      return <p className="empty-state">Cancelled; nothing was measured to the end, so no table is shown.</p>;
    case 'failed':
      return <ProblemMessage problem={evaluation.problem} id="compare-eval-problem" />;
    case 'running': {
      const { columns, column, batchesDone, batches, results } = evaluation;
      const total = columns.length * Math.max(batches, 1);
      const done = column * Math.max(batches, 1) + batchesDone;
      const rows: EvalRow[] = columns.map((c, i) => ({
        label: c.label,
        meanLoss: results[i]?.meanLoss ?? null,
        perplexity: results[i]?.perplexity ?? null,
        trainedTokens: results[i]?.trainedTokens ?? null,
      }));
      return (
        <>
          <div className="compare-eval-progress">
            <progress max={total} value={done} aria-label="Evaluation progress" />
            <span className="muted">
              {batches === 0
                ? 'Reading the dataset…'
                : `${columns[column]?.label ?? ''}: batch ${batchesDone} of ${batches}`}
            </span>
          </div>
          <EvalTable rows={rows} caption="Measured so far" />
        </>
      );
    }
    case 'done': {
      const { summary, columns, saved, seqLen } = evaluation;
      const rows: EvalRow[] = summary.results.map((r, i) => ({ label: columns[i]?.label ?? '', ...r }));
      return (
        <>
          <EvalTable
            rows={rows}
            caption={`${summary.dataset}: ${summary.examples} validation examples, up to ${seqLen} tokens${
              summary.truncated ? ` (${summary.truncated} cut)` : ''
            }`}
          />
          <p className="muted run-note">
            {saved ? 'Added to this comparison in the history.' : 'Not in the history: compare a prompt with these columns first to keep it.'}
          </p>
        </>
      );
    }
  }
}
