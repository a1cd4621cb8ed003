/** Which columns the comparison has: the loaded base (always) and up to eight adapters from the library (the batch's slots). */
import { useShallow } from 'zustand/react/shallow';
import { refreshCompareLibrary } from '../../compare/compare-bridge';
import { MAX_ADAPTERS } from '../../compare/compare-form';
import { useStudio } from '../../stores/studio';
import { ProblemMessage } from '../playground/ProblemMessage';

export function ComparePicker() {
  const model = useStudio((s) => s.model);
  const { library, selected, toggle } = useStudio(
    useShallow((s) => ({ library: s.compareLibrary, selected: s.compareSelected, toggle: s.compareToggleAdapter })),
  );
  const busy = useStudio((s) => s.compareRun.status === 'running' || s.compareEval.status === 'running');
  const full = selected.length >= MAX_ADAPTERS;
  return (
    <section className="panel" aria-labelledby="compare-columns-title">
      <div className="panel-head">
        <h3 id="compare-columns-title">Columns</h3>
        <button type="button" className="button secondary small" onClick={() => void refreshCompareLibrary()}>
          Refresh
        </button>
      </div>
      <p className="field-label">Base model</p>
      {model.status === 'ready' ? (
        <p className="compare-base" data-testid="compare-base">
          {model.summary.name}
        </p>
      ) : (
        <p className="empty-state">
          {model.status === 'loading' ? 'Loading a model…' : 'No model is loaded. '}
          {model.status !== 'loading' && <a href="#playground">Load one in the Playground.</a>}
        </p>
      )}
      <fieldset className="compare-adapters" disabled={busy}>
        <legend className="field-label">
          Adapters <span className="muted">(up to {MAX_ADAPTERS})</span>
        </legend>
        {library.status === 'loading' && <p className="muted">Reading the library…</p>}
        {library.status === 'failed' && <ProblemMessage problem={library.problem} id="compare-library-problem" />}
        {library.status === 'ready' && library.adapters.length === 0 && (
          <p className="empty-state">
            The library has no adapters yet. Train one, or import one in <a href="#adapters">Adapters</a>.
          </p>
        )}
        {library.status === 'ready' &&
          library.adapters.map((a) => {
            const checked = selected.includes(a.id);
            return (
              <label key={a.id} className="compare-adapter">
                <input type="checkbox" checked={checked} disabled={!checked && full} onChange={() => toggle(a.id)} />
                <span className="compare-adapter-name">{a.name}</span>
                <span className="muted compare-adapter-base">
                  {a.method} for {a.baseModel}
                </span>
              </label>
            );
          })}
        {library.status === 'ready' && full && library.adapters.length > MAX_ADAPTERS && (
          <p className="field-hint">Four adapters at most; clear one to choose another.</p>
        )}
      </fieldset>
    </section>
  );
}
