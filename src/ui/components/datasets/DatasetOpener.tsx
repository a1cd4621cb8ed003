/**
 * Where a dataset comes from: a file dropped on the zone or picked, or the sample shipped with the studio. Only
 * the File handle goes to the worker; nothing is read on this thread. Progress (bytes read of the file, then
 * examples tokenized) shows while the worker works, with a button that cancels it.
 */
import { useState, type ChangeEvent } from 'react';
import { DropZone } from '../DropZone';
import { SAMPLE_DATASET } from '../../../data';
import { openDataset } from '../../engineBridge';
import { DATASET_ACCEPT } from '../../datasets/dataset-form';
import { cancelDatasetRequest } from '../../datasets/dataset-cancel';
import { formatBytes, formatCount } from '../../format';
import { useStudio } from '../../stores/studio';

function openFile(file: File): void {
  void openDataset({ kind: 'file', file }, file.name);
}

function fromInput(event: ChangeEvent<HTMLInputElement>): void {
  const file = event.currentTarget.files?.[0];
  // Cleared so that choosing the same file again (after fixing it) fires another change.
  event.currentTarget.value = '';
  if (file) openFile(file);
}

function ProgressLine() {
  const dataset = useStudio((state) => state.dataset);
  const [cancelled, setCancelled] = useState<number | null>(null);
  if (dataset.status !== 'loading') return null;
  const { progress, file } = dataset;
  const reading = !progress || progress.phase === 'reading';
  const fraction = progress && progress.total > 0 ? progress.done / progress.total : null;
  const label = reading ? `Reading ${file}` : `Tokenizing ${file}`;
  const detail = !progress
    ? 'Starting…'
    : reading
      ? `${formatBytes(progress.done)} of ${formatBytes(progress.total)} (${Math.round((fraction ?? 0) * 100)}%)`
      : `${formatCount(progress.done)} of ${formatCount(progress.total)} examples`;
  const request = progress?.request;
  const cancelling = request !== undefined && cancelled === request;
  return (
    <div className="dataset-progress">
      <div role="status" aria-live="polite">
        <span className="loading-line">
          <span className="spinner" aria-hidden="true" />
          {label}… <span className="muted" data-testid="dataset-progress-detail">{detail}</span>
        </span>
      </div>
      {/* Inline because styles.css is shared; the bar takes the row, the button its own width. */}
      <div className="dataset-progress-bar">
        <progress aria-label={label} max={1} value={fraction ?? undefined} />
        <button
          type="button"
          className="button secondary small"
          disabled={request === undefined || cancelling}
          onClick={() => {
            if (request === undefined) return;
            setCancelled(request);
            cancelDatasetRequest(request);
          }}
        >
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
    </div>
  );
}

export function DatasetOpener() {
  const busy = useStudio((state) => state.dataset.status === 'loading');
  const onDrop = (data: DataTransfer) => {
    const file = data.files[0];
    if (file) openFile(file);
  };
  return (
    <section className="panel dataset-opener" aria-labelledby="dataset-open-title">
      <div className="panel-head">
        <h3 id="dataset-open-title">Dataset file</h3>
      </div>
      <DropZone className="dataset-drop" testId="dataset-drop-zone" onDrop={onDrop}>
        <p className="drop-title">Drop a dataset file here</p>
        <p className="muted drop-hint">
          <code>.jsonl</code> <code>.json</code> <code>.csv</code> <code>.tsv</code> <code>.parquet</code>{' '}
          <code>.txt</code> · read on this machine in a background worker, never uploaded.
        </p>
        <div className="open-buttons">
          <label className="button small file-button">
            <input
              type="file"
              className="visually-hidden"
              accept={DATASET_ACCEPT}
              aria-label="Choose a dataset file"
              onChange={fromInput}
            />
            Choose a file…
          </label>
          <button
            type="button"
            className="button secondary small"
            disabled={busy}
            onClick={() => void openDataset({ kind: 'sample' }, SAMPLE_DATASET.url.split('/').at(-1)!)}
          >
            Use the sample dataset
          </button>
        </div>
      </DropZone>
      <ProgressLine />
    </section>
  );
}
