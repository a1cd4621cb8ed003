/** Every run kept on this machine, newest first: pick one to show its curves, resume it, or delete it. */
import { memo } from 'react';
import type { RunRecord } from '../../../library/run-history';
import { useStudio } from '../../stores/studio';
import { removeRun, resumeTraining } from '../../train/train-bridge';

const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
const loss = (n: number | null) => (n === null || !Number.isFinite(n) ? '—' : n.toFixed(4));

export function RunHistory() {
  const runs = useStudio((state) => state.runs);
  const status = useStudio((state) => state.runsStatus);
  const problem = useStudio((state) => state.runsProblem);
  const shown = useStudio((state) => state.shownRunId);
  const show = useStudio((state) => state.showRun);
  const liveId = useStudio((state) => (state.live && state.live.phase !== 'ended' ? state.live.runId : null));
  return (
    <section className="panel train-history" aria-labelledby="train-history-title">
      <div className="panel-head">
        <h3 id="train-history-title">Run history</h3>
      </div>
      {problem && (
        <div className="inline-problem" role="alert">
          <p className="inline-problem-message">{problem}</p>
        </div>
      )}
      {status === 'loading' ? (
        <p className="loading-line">Reading the run history…</p>
      ) : runs.length === 0 ? (
        <p className="empty-state">No runs yet. Runs you start are kept here, with their curves, across reloads.</p>
      ) : (
        <table className="train-history-table">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Steps</th>
              <th scope="col">Best val</th>
              <th scope="col">Started</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <HistoryRow key={run.id} run={run} shown={run.id === shown} liveId={liveId} onShow={show} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** One run; memoized, so a live run's progress redraws its own row only. */
const HistoryRow = memo(function HistoryRow({
  run,
  shown,
  liveId,
  onShow,
}: {
  run: RunRecord;
  shown: boolean;
  liveId: string | null;
  onShow(runId: string): void;
}) {
  return (
    <tr aria-current={shown ? 'true' : undefined}>
      <td>
        <button type="button" className="link-button" onClick={() => onShow(run.id)}>
          {run.name}
        </button>
      </td>
      <td>{run.status}</td>
      <td>
        {run.step}/{run.totalSteps || '—'}
      </td>
      <td>{loss(run.bestValLoss)}</td>
      <td>{when(run.createdAt)}</td>
      <td className="train-history-actions">
        {(run.status === 'paused' || run.status === 'interrupted') && (
          <button type="button" className="button secondary" disabled={liveId !== null} onClick={() => void resumeTraining(run.id)}>
            Resume
          </button>
        )}
        <button
          type="button"
          className="button secondary"
          disabled={run.id === liveId}
          aria-label={`Delete run ${run.name}`}
          onClick={() => void removeRun(run.id)}
        >
          Delete
        </button>
      </td>
    </tr>
  );
});
