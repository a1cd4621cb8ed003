/** Past comparisons, newest first: open one to read it again (its columns and evaluation), or delete it. */
import { deleteHistoryEntry, openHistoryEntry } from '../../compare/compare-bridge';
import type { ComparisonRecord } from '../../../library/compare-history';
import { useStudio } from '../../stores/studio';
import { ProblemMessage } from '../playground/ProblemMessage';
import { ColumnCards } from './ColumnCards';
import { EvalTable } from './EvalTable';

function when(ms: number): string {
  return new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

function settingsLine(r: ComparisonRecord): string {
  const s = r.settings.sampling;
  const sampling = s.greedy
    ? 'greedy'
    : `temperature ${s.temperature}, top-k ${s.topK}, top-p ${s.topP}, seed ${s.seed}`;
  return `${r.settings.maxTokens} tokens, ${sampling}${s.repetitionPenalty !== 1 ? `, repetition penalty ${s.repetitionPenalty}` : ''}${
    r.settings.chat ? ', chat' : ''
  }`;
}

export function CompareHistoryPanel() {
  const history = useStudio((s) => s.compareHistory);
  const opened = useStudio((s) => s.compareOpened);
  const problem = useStudio((s) => s.compareHistoryProblem);
  const open = useStudio((s) => s.compareOpen);
  return (
    <section className="panel" aria-labelledby="compare-history-title">
      <div className="panel-head">
        <h3 id="compare-history-title">History</h3>
      </div>
      {problem && <ProblemMessage problem={problem} id="compare-history-problem" />}
      {history.status === 'loading' && <p className="muted">Reading the history…</p>}
      {history.status === 'failed' && <ProblemMessage problem={history.problem} id="compare-history-failed" />}
      {history.status === 'ready' && history.entries.length === 0 && (
        <p className="empty-state">No comparisons yet. Each finished comparison is kept here, on this machine only.</p>
      )}
      {history.status === 'ready' && history.entries.length > 0 && (
        <ul className="compare-history" aria-label="Past comparisons">
          {history.entries.map((r) => (
            <li key={r.id} className={`compare-history-entry${opened?.id === r.id ? ' open' : ''}`}>
              <div className="compare-history-text">
                <span className="compare-history-prompt">“{r.settings.prompt}”</span>
                <span className="muted">
                  {when(r.createdAt)} · {r.columns.map((c) => c.label).join(' vs ')}
                  {r.evaluation ? ' · evaluated' : ''}
                </span>
              </div>
              <div className="actions">
                <button
                  type="button"
                  className="button secondary small"
                  aria-label={`Open comparison of ${when(r.createdAt)}`}
                  aria-pressed={opened?.id === r.id}
                  onClick={() => (opened?.id === r.id ? open(null) : void openHistoryEntry(r.id))}
                >
                  {opened?.id === r.id ? 'Close' : 'Open'}
                </button>
                <button
                  type="button"
                  className="button secondary small"
                  aria-label={`Delete comparison of ${when(r.createdAt)}`}
                  onClick={() => void deleteHistoryEntry(r.id)}
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {opened && (
        <section className="compare-opened" aria-label="Opened comparison">
          <h4>
            {when(opened.createdAt)} · {opened.model}
          </h4>
          <p className="muted">{settingsLine(opened)}</p>
          <ColumnCards
            label="Saved columns"
            prompt={opened.settings.prompt}
            columns={opened.columns.map((c) => ({ ...c, status: c.problem ? 'failed' : 'done' }))}
          />
          {opened.evaluation ? (
            <EvalTable
              rows={opened.evaluation.rows}
              caption={`${opened.evaluation.dataset}: ${opened.evaluation.examples} validation examples, up to ${opened.evaluation.seqLen} tokens`}
            />
          ) : (
            <p className="muted">Not evaluated.</p>
          )}
        </section>
      )}
    </section>
  );
}
