/** The models cached in this browser: size, complete or resumable, and Load / Resume / Delete for each. */
import type { CacheEntryInfo } from '../../../hub/types';
import { formatBytes } from '../../format';
import { deleteCached, downloadModel, loadCached } from '../../hub/hubBridge';
import { useStudio } from '../../stores/studio';
import { ItemButton } from '../ItemButton';
import { ProblemMessage } from '../playground/ProblemMessage';

function sizeText(entry: CacheEntryInfo): string {
  if (entry.complete) return formatBytes(entry.storedBytes);
  const total = entry.totalBytes !== null ? ` of ${formatBytes(entry.totalBytes)}` : '';
  return `incomplete: ${formatBytes(entry.storedBytes)}${total}`;
}

export function CacheList() {
  const cache = useStudio((state) => state.hubCache);
  const problem = useStudio((state) => state.hubCacheProblem);
  const running = useStudio((state) => state.hubDownload.status === 'running');
  const loading = useStudio((state) => state.model.status === 'loading');
  return (
    <div className="model-source">
      <h4 id="cache-title">Cached in this browser</h4>
      {problem && <ProblemMessage problem={problem} id="cache-problem" />}
      {cache.status === 'loading' && <p className="muted">Reading the cache…</p>}
      {cache.status === 'failed' && <ProblemMessage problem={cache.problem} id="cache-list-problem" />}
      {cache.status === 'ready' && cache.listing.entries.length === 0 && (
        <p className="empty-state">No models downloaded yet. They stay here until you delete them.</p>
      )}
      {cache.status === 'ready' && cache.listing.entries.length > 0 && (
        <>
          <ul className="cache-list" aria-labelledby="cache-title">
            {cache.listing.entries.map((entry) => (
              <li key={entry.key} className="cache-entry">
                <div className="cache-entry-name">
                  <strong>{entry.label}</strong>
                  <span className="muted">
                    {entry.format === 'gguf' ? 'GGUF' : 'HF folder'} · {sizeText(entry)}
                  </span>
                </div>
                <div className="bundled-actions">
                  {entry.complete ? (
                    <ItemButton name={`Load ${entry.label}`} disabled={loading} onClick={() => void loadCached(entry)}>
                      Load
                    </ItemButton>
                  ) : (
                    <ItemButton name={`Resume ${entry.label}`} disabled={running} onClick={() => void downloadModel(entry.request)}>
                      Resume
                    </ItemButton>
                  )}
                  <ItemButton name={`Delete ${entry.label}`} onClick={() => void deleteCached(entry)}>
                    Delete
                  </ItemButton>
                </div>
              </li>
            ))}
          </ul>
          <p className="muted cache-total">
            {cache.listing.entries.length} {cache.listing.entries.length === 1 ? 'entry' : 'entries'},{' '}
            {formatBytes(cache.listing.totalBytes)} in this browser’s storage.
          </p>
        </>
      )}
    </div>
  );
}
