/** The comparison in progress (or the last one), its columns streaming one after another. */
import { useStudio } from '../../stores/studio';
import { ProblemMessage } from '../playground/ProblemMessage';
import { ColumnCards } from './ColumnCards';

export function CompareRunColumns() {
  const run = useStudio((s) => s.compareRun);
  const status =
    run.status === 'idle' ? 'Idle' : run.status === 'running' ? 'Comparing' : run.status === 'failed' ? 'Failed' : run.stopped ? 'Stopped' : 'Done';
  return (
    <section className="panel" aria-labelledby="compare-output-title" aria-busy={run.status === 'running'}>
      <div className="panel-head">
        <h3 id="compare-output-title">Outputs</h3>
        <span className={`status status-generation-${run.status === 'idle' ? 'idle' : run.status === 'running' ? 'running' : run.status === 'failed' ? 'failed' : 'done'}`} role="status">
          {status}
        </span>
      </div>
      {run.status === 'idle' && <p className="empty-state">Choose adapters and press Compare to see every column’s text here.</p>}
      {run.status === 'failed' && <ProblemMessage problem={run.problem} id="compare-run-problem" />}
      {(run.status === 'running' || run.status === 'done') && (
        <>
          <ColumnCards columns={run.columns} prompt={run.settings.prompt} label="Comparison columns" />
          {run.status === 'running' && run.columns.every((c) => c.status === 'waiting') && (
            <p className="muted run-note">
              Reading the adapters and the prompt. The first run also compiles the GPU kernels, which can take a while.
            </p>
          )}
          {run.status === 'done' && run.stopped && <p className="muted run-note">Stopped: this comparison is not kept in the history.</p>}
        </>
      )}
    </section>
  );
}
