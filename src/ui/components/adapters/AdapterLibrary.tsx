/** The library's table: one row per adapter with its facts and actions; an empty state until there is one. */
import { useStudio } from '../../stores/studio';
import { ProblemMessage } from '../playground/ProblemMessage';
import { AdapterRow } from './AdapterRow';

const COLUMNS = ['Name', 'Base model', 'Method', 'Rank', 'Dataset', 'Val. loss', 'Created', 'Actions'];

function LibraryBody() {
  const listing = useStudio((state) => state.adapterListing);
  if (listing.status === 'loading') {
    return (
      <p className="loading-line" role="status">
        <span className="spinner" aria-hidden="true" />
        Reading the library…
      </p>
    );
  }
  if (listing.status === 'failed') return <ProblemMessage problem={listing.problem} id="adapter-library-problem" />;
  if (listing.records.length === 0) {
    return (
      <p className="empty-state" data-testid="adapter-library-empty">
        No adapters yet. Train one in <a href="#train">Train</a>, or import a PEFT folder, a .zip or a GGUF LoRA above.
      </p>
    );
  }
  return (
    <div className="adapter-table-scroll">
      <table className="adapter-table" aria-label="Adapter library">
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {listing.records.map((record) => (
            <AdapterRow key={record.id} record={record} columns={COLUMNS.length} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AdapterLibrary() {
  const count = useStudio((state) => (state.adapterListing.status === 'ready' ? state.adapterListing.records.length : null));
  return (
    <section className="panel adapter-library" aria-labelledby="adapter-library-title">
      <div className="panel-head">
        <h3 id="adapter-library-title">Library</h3>
        {count !== null && (
          <span className="muted" data-testid="adapter-count">
            {count === 1 ? '1 adapter' : `${count} adapters`}
          </span>
        )}
      </div>
      <LibraryBody />
    </section>
  );
}
