/** The curated small instruct models (Q8_0 GGUF): one button each downloads (or finds cached) and loads the model. */
import { entryKey } from '../../../hub/cache-manifest';
import { CATALOG, catalogRequest } from '../../../hub/catalog';
import { parseEndpoint } from '../../../hub/hub-url';
import { downloadModel, loadCached } from '../../hub/hubBridge';
import { useStudio } from '../../stores/studio';
import { ItemButton } from '../ItemButton';

function endpointOf(typed: string): string | undefined {
  try {
    return parseEndpoint(typed);
  } catch {
    return undefined;
  }
}

export function CatalogList() {
  const running = useStudio((state) => state.hubDownload.status === 'running');
  const endpoint = useStudio((state) => state.hubForm.endpoint);
  const cache = useStudio((state) => state.hubCache);
  const cachedEntry = (key: string) =>
    cache.status === 'ready' ? cache.listing.entries.find((e) => e.key === key && e.complete) : undefined;
  return (
    <div className="model-source">
      <h4 id="catalog-title">Small instruct models (GGUF, Q8_0)</h4>
      <ul className="catalog-list" aria-labelledby="catalog-title">
        {CATALOG.map((model) => {
          const request = catalogRequest(model, endpointOf(endpoint));
          const cached = cachedEntry(entryKey(request));
          return (
            <li key={model.id} className="catalog-model">
              <div className="catalog-text">
                <strong>{model.name}</strong>
                <span className="muted">
                  ~{Math.round(model.approxBytes / 1e6)} MB · {model.license} · <code className="hub-repo">{model.repo}</code>
                </span>
                <span className="muted">{model.note}</span>
              </div>
              {cached ? (
                <ItemButton
                  name={`Load ${model.name} (cached)`}
                  title={`Load ${model.file} from this browser’s cache`}
                  onClick={() => void loadCached(cached)}
                >
                  Load
                </ItemButton>
              ) : (
                <ItemButton
                  name={`Download ${model.name}`}
                  title={`Download ${model.file} from ${model.repo} and load it`}
                  disabled={running}
                  onClick={() => void downloadModel(request)}
                >
                  Download
                </ItemButton>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
