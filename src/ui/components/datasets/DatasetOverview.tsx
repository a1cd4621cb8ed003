/** What the file gave: its type and shape, rows and examples, tokens, and whose tokenizer made them. */
import type { DatasetSummary } from '../../../worker/dataset-protocol';
import { formatBytes, formatCount } from '../../format';
import { SHAPE_NAMES } from './DatasetSettings';

export function DatasetOverview({ summary }: { summary: DatasetSummary }) {
  const trainedShare = summary.totalTokens ? Math.round((100 * summary.trainedTokens) / summary.totalTokens) : 0;
  const t = summary.tokenizer;
  const sampling = summary.sampling;
  const about = sampling ? '≈ ' : '';
  return (
    <section className="panel dataset-overview" aria-labelledby="dataset-overview-title">
      <div className="panel-head">
        <h3 id="dataset-overview-title">
          <span className="model-name">{summary.file}</span>
        </h3>
        <span className="format-badge">{summary.container.toUpperCase()}</span>
      </div>
      <dl className="facts compact dataset-facts" aria-label="Dataset summary">
        <div>
          <dt>Shape</dt>
          <dd>{SHAPE_NAMES[summary.shape]}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(summary.bytes)}</dd>
        </div>
        <div>
          <dt>Examples</dt>
          <dd>
            {formatCount(summary.examples)} <span className="muted">of {formatCount(summary.rows)} rows</span>
          </dd>
        </div>
        <div>
          <dt>Bad rows</dt>
          <dd>{formatCount(summary.badRowCount)}</dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd>
            {about}
            {formatCount(summary.totalTokens)} <span className="muted">{trainedShare}% trained</span>
          </dd>
        </div>
        <div>
          <dt>Median / longest{sampling ? ' sampled' : ''}</dt>
          <dd>
            {formatCount(summary.medianTokens)} / {formatCount(summary.maxTokens)}
          </dd>
        </div>
      </dl>
      <p className="muted dataset-hint" data-testid="dataset-sampling">
        {sampling
          ? `Token figures are estimated from ${formatCount(sampling.examples)} sampled rows of ` +
            `${formatCount(sampling.of)} (a fixed random sample); rows, examples and bad rows are counted exactly.`
          : `Token figures are exact: all ${formatCount(summary.examples)} examples were tokenized.`}
      </p>
      <p className="muted dataset-hint" data-testid="dataset-tokenizer">
        {t.origin === 'loaded'
          ? `Tokens from the loaded model, ${t.model} (${t.template === 'model' ? 'its own' : t.template} chat template).`
          : `No model is loaded, so tokens come from the bundled ${t.model} tokenizer (${t.template} chat template). ` +
            'Load a model in the Playground to see its tokens.'}
      </p>
    </section>
  );
}
