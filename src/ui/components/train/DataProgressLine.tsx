/**
 * The live run's data pipeline under its step progress: rows read (share of the file), rows tokenized, the
 * pipeline's tokens/s beside the trainer's, and the bad rows met, listed with their lines in a collapsed list.
 * Only the latest figures are drawn; the list's items exist only while it is open, and are redrawn only when new
 * bad rows come, so a run that meets many does not make the page work at every event.
 */
import { memo, useState } from 'react';
import { type BadRow, formatBadRow } from '../../../data/types';
import type { LiveRun } from '../../stores/trainSlice';
import { badRowsSummary, dataProgressText } from '../../train/data-progress';

const BadRowItems = memo(function BadRowItems({ rows }: { rows: BadRow[] }) {
  return (
    <ul>
      {rows.map((row) => (
        <li key={`${row.line}:${row.column ?? ''}`}>{formatBadRow(row)}</li>
      ))}
    </ul>
  );
});

export function DataProgressLine({ live }: { live: LiveRun }) {
  const [open, setOpen] = useState(false);
  const data = live.dataProgress;
  if (!data) return null;
  return (
    <>
      <p className="train-data-progress" data-testid="train-data-progress">
        {dataProgressText(data.progress, live.progress?.tokensPerSecond ?? null)}
      </p>
      {data.badRowCount > 0 && (
        <details className="train-bad-rows" data-testid="train-bad-rows" onToggle={(e) => setOpen(e.currentTarget.open)}>
          <summary>{badRowsSummary(data)}</summary>
          {open && <BadRowItems rows={data.badRows} />}
        </details>
      )}
    </>
  );
}
