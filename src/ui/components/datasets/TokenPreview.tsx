/**
 * The first examples as the model will see them: rendered through its chat template and tokenized, with the
 * tokens it is trained to predict highlighted and underlined, and the masked ones (prompt, template glue) dimmed.
 * Screen readers hear where each trained run starts and ends.
 */
import type { PreviewRow } from '../../../worker/dataset-protocol';
import { formatCount } from '../../format';

function Row({ row, unit }: { row: PreviewRow; unit: 'line' | 'row' }) {
  const cut = row.fullTokens > row.tokens;
  return (
    <li className="token-row">
      <p className="token-row-head">
        <strong>
          {unit === 'line' ? 'Line' : 'Row'} {row.line}
        </strong>{' '}
        <span className="muted">
          {formatCount(row.tokens)} tokens, {formatCount(row.trainedTokens)} trained
          {cut ? ` (cut from ${formatCount(row.fullTokens)})` : ''}
        </span>
      </p>
      <p className="token-text">
        {row.spans.map((span, i) =>
          span.trained ? (
            <mark key={i} className="tok-trained" title={`${span.tokens} trained tokens`}>
              <span className="visually-hidden">[trained: </span>
              {span.text}
              <span className="visually-hidden">]</span>
            </mark>
          ) : (
            <span key={i} className="tok-masked" title={`${span.tokens} masked tokens`}>
              {span.text}
            </span>
          ),
        )}
      </p>
    </li>
  );
}

export function TokenPreview({ rows, unit }: { rows: PreviewRow[]; unit: 'line' | 'row' }) {
  return (
    <section className="panel token-preview" aria-labelledby="token-preview-title">
      <div className="panel-head">
        <h3 id="token-preview-title">Preview</h3>
        <ul className="token-legend" aria-label="Legend">
          <li>
            <mark className="tok-trained">Trained</mark> predicted and learned from
          </li>
          <li>
            <span className="tok-masked tok-swatch">Masked</span> context only, no loss
          </li>
        </ul>
      </div>
      <ol className="token-rows">
        {rows.map((row) => (
          <Row key={row.line} row={row} unit={unit} />
        ))}
      </ol>
    </section>
  );
}
