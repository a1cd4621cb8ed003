/** The comparison in progress (or the last one): the batched columns stream together, the others after them. */
import { useStudio } from '../../stores/studio';
import { ProblemMessage } from '../playground/ProblemMessage';
import type { ColumnView } from '../../compare/column-views';
import { formatBytes } from '../../format';
import { ColumnCards } from './ColumnCards';
import { formatRate } from './compare-format';

/** What the batch held: its columns and the adapters' slots beside the one base. */
function BatchNote({ columns }: { columns: readonly ColumnView[] }) {
  const batched = columns.filter((c) => c.pass?.kind === 'batched');
  const pass = batched[0]?.pass;
  if (pass?.kind !== 'batched' || pass.columns < 2) return null;
  const adapters = batched.filter((c) => c.adapterId !== null).length;
  // Each batched column's speed is the batch's steps; together they make what the one pass produced.
  const rates = batched.map((c) => c.tokensPerSecond);
  const total = rates.every((r) => r !== null) ? ` (${formatRate(rates.reduce((s, r) => s + r!, 0))} in all)` : '';
  return (
    <p className="muted run-note" data-testid="batch-note">
      {pass.columns} columns generated in one batch{total}: the base read once for all,{' '}
      {adapters === 1 ? '1 adapter' : `${adapters} adapters`} in {formatBytes(pass.slotBytes)} of GPU slots beside it.
    </p>
  );
}

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
          <BatchNote columns={run.columns} />
          {run.status === 'done' && run.stopped && <p className="muted run-note">Stopped: this comparison is not kept in the history.</p>}
        </>
      )}
    </section>
  );
}
