/** The models shipped with the studio, each loadable in every format it ships in (they work offline). */
import type { BundledModel } from '../../../worker/protocol';
import { loadModel } from '../../engineBridge';
import { formatBytes } from '../../format';
import { useStudio } from '../../stores/studio';
import { ProblemMessage } from './ProblemMessage';

function sizeOf(format: BundledModel['formats'][number]): number {
  return format.files.reduce((sum, file) => sum + file.bytes, 0);
}

export function BundledModelList() {
  const bundled = useStudio((state) => state.bundled);
  return (
    <div className="model-source">
      <h4 id="bundled-title">Bundled</h4>
      {bundled.status === 'loading' && <p className="muted">Listing the models shipped with the studio…</p>}
      {bundled.status === 'failed' && <ProblemMessage problem={bundled.problem} id="bundled-problem" />}
      {bundled.status === 'ready' && bundled.models.length === 0 && (
        <p className="muted">This build ships no models; open one of your own below.</p>
      )}
      {bundled.status === 'ready' && bundled.models.length > 0 && (
        <ul className="bundled-list" aria-labelledby="bundled-title">
          {bundled.models.map((model) => (
            <li key={model.id} className="bundled-model">
              <div className="bundled-name">
                <strong>{model.name}</strong>
                <span className="muted">
                  {model.license} · {formatBytes(Math.max(...model.formats.map(sizeOf)))}
                </span>
              </div>
              <p className="muted bundled-description">{model.description}</p>
              <div className="bundled-actions">
                {model.formats.map((format) => {
                  const bytes = sizeOf(format);
                  const label = `${model.name} (${format.label})`;
                  return (
                    <button
                      key={format.format}
                      type="button"
                      className="button secondary small"
                      aria-label={`Load ${label}`}
                      title={`Load ${label}, ${formatBytes(bytes)}`}
                      onClick={() => void loadModel({ kind: 'bundled', id: model.id, format: format.format }, label)}
                    >
                      {format.label}
                    </button>
                  );
                })}
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
