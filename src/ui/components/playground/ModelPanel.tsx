/**
 * The model card: what to load (bundled, opened from disk, or from the Hub panel below it), and what is loaded,
 * loading or failed to load.
 */
import { useStudio } from '../../stores/studio';
import { HubPanel } from '../hub/HubPanel';
import { BundledModelList } from './BundledModelList';
import { ModelOpener } from './ModelOpener';
import { ModelSummaryFacts } from './ModelSummaryFacts';
import { ProblemMessage } from './ProblemMessage';

export function ModelPanel() {
  const model = useStudio((state) => state.model);
  return (
    <div className="playground-models">
      <section className="panel playground-model" aria-labelledby="model-title" aria-busy={model.status === 'loading'}>
        <div className="panel-head">
          <h3 id="model-title">Model</h3>
          <span className={`status status-model-${model.status}`} role="status">
            {STATUS_TEXT[model.status]}
          </span>
        </div>
        <div className="model-current">
          {model.status === 'empty' && (
            <p className="empty-state">No model loaded yet. The bundled one below needs no download.</p>
          )}
          {model.status === 'loading' && (
            <p className="loading-line">
              <span className="spinner" aria-hidden="true" />
              Loading {model.label} onto the GPU…
            </p>
          )}
          {model.status === 'failed' && <ProblemMessage problem={model.problem} id="model-problem" />}
          {model.status === 'ready' && <ModelSummaryFacts summary={model.summary} />}
        </div>
        <BundledModelList />
        <ModelOpener />
      </section>
      <HubPanel />
    </div>
  );
}

const STATUS_TEXT = {
  empty: 'None',
  loading: 'Loading',
  ready: 'Loaded',
  failed: 'Failed',
} as const;
