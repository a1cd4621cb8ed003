/** The download in progress (bytes, a progress bar, Stop), or how the last one ended. */
import { formatBytes } from '../../format';
import { stopDownload } from '../../hub/hubBridge';
import { useStudio } from '../../stores/studio';
import { ProblemMessage } from '../playground/ProblemMessage';

export function DownloadStatus() {
  const download = useStudio((state) => state.hubDownload);
  if (download.status === 'idle') return null;
  if (download.status === 'failed') return <ProblemMessage problem={download.problem} id="hub-problem" />;
  if (download.status === 'done') {
    return (
      <p className="hub-done" role="status">
        {download.fromCache ? `${download.label} was already cached: loaded without the network.` : `Downloaded ${download.label}.`}
      </p>
    );
  }
  const p = download.progress;
  const percent = p?.totalBytes ? Math.floor((100 * p.receivedBytes) / p.totalBytes) : null;
  const text = !p
    ? 'Connecting…'
    : `${formatBytes(p.receivedBytes)}${p.totalBytes !== null ? ` of ${formatBytes(p.totalBytes)}` : ''}` +
      `${percent !== null ? ` (${percent}%)` : ''} · ${p.file}`;
  return (
    <div className="hub-progress" aria-live="polite">
      <p className="hub-progress-label" id="hub-progress-label">
        Downloading {download.label}
      </p>
      <progress
        aria-labelledby="hub-progress-label"
        aria-valuetext={text}
        max={p?.totalBytes ?? undefined}
        value={p?.totalBytes ? p.receivedBytes : undefined}
      />
      <p className="hub-progress-text muted" data-testid="hub-progress-text">
        {text}
        {p?.resumedFrom ? ` · resumed at ${formatBytes(p.resumedFrom)}` : ''}
      </p>
      <button type="button" className="button secondary small" onClick={stopDownload} disabled={download.stopping}>
        {download.stopping ? 'Stopping…' : 'Stop download'}
      </button>
    </div>
  );
}
