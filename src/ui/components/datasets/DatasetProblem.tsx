/** Why the file gives no dataset: the worker's message (it names the file, and the line where there is one). */
import type { DatasetFailure } from '../../../worker/dataset-protocol';
import { BadRowsTable } from './BadRowsTable';

const TITLES: Record<DatasetFailure['kind'], string> = {
  dataset: 'This file cannot be used',
  tokenizer: 'No tokenizer for the tokens',
  cancelled: 'Reading cancelled',
  internal: 'The dataset could not be read',
};

export function DatasetProblem({ failure }: { failure: DatasetFailure }) {
  if (failure.kind === 'cancelled') {
    // The user's own choice, not a problem: said plainly, without an alert.
    return (
      <section className="panel dataset-problem" aria-labelledby="dataset-problem-title">
        <div role="status" data-testid="dataset-cancelled">
          <h4 id="dataset-problem-title">{TITLES.cancelled}</h4>
          <p className="muted">{failure.message}</p>
        </div>
      </section>
    );
  }
  return (
    <section className="panel dataset-problem" aria-labelledby="dataset-problem-title">
      <div className="inline-problem" role="alert" aria-labelledby="dataset-problem-title">
        <h4 id="dataset-problem-title">{TITLES[failure.kind]}</h4>
        <p className="inline-problem-message">{failure.message}</p>
      </div>
      {failure.columns.length > 0 && (
        <p className="muted dataset-hint">
          Its columns are {failure.columns.map((c) => `"${c}"`).join(', ')}: choose a shape and map them under Rows.
        </p>
      )}
      {failure.badRows.length > 0 && <BadRowsTable rows={failure.badRows} total={failure.badRows.length} unit={failure.rowUnit} caption="Rows that were refused" />}
    </section>
  );
}
