/** Comparison columns side by side: each column's label, text and speed (a live run or a history entry). */
import type { ColumnStatus } from '../../compare/column-views';
import type { ColumnPass } from '../../../worker/compare-protocol';
import { formatPass, formatRate } from './compare-format';

export interface ColumnCard {
  label: string;
  status: ColumnStatus;
  text: string;
  tokens: number;
  tokensPerSecond: number | null;
  problem: string | null;
  /** How it was generated (a live run says; history entries do not keep it). */
  pass?: ColumnPass | null;
}

/** Five columns stay readable at 1280 px; more wrap onto a second row. */
const COLUMNS_PER_ROW = 5;

const STATUS: Record<ColumnStatus, string> = {
  waiting: 'Waiting',
  running: 'Generating',
  done: 'Done',
  failed: 'Failed',
  skipped: 'Skipped',
};

export function ColumnCards({ columns, prompt, label }: { columns: ColumnCard[]; prompt: string; label: string }) {
  return (
    <ol className="compare-columns" aria-label={label} style={{ gridTemplateColumns: `repeat(${Math.min(columns.length, COLUMNS_PER_ROW)}, minmax(0, 1fr))` }}>
      {columns.map((c, i) => (
        <li key={i} className={`compare-column status-col-${c.status}`} aria-label={c.label}>
          <div className="compare-column-head">
            <h4 className="compare-column-title">{c.label}</h4>
            <span className="compare-column-status">{STATUS[c.status]}</span>
          </div>
          <div className="transcript compare-transcript">
            <span className="transcript-prompt">{prompt}</span>
            <output className="transcript-text" aria-label={`${c.label} text`}>
              {c.text}
            </output>
          </div>
          {c.problem && c.status === 'failed' && <p className="field-error">{c.problem}</p>}
          <p className="compare-column-stats muted" data-testid="column-rate">
            {c.tokens} tokens · {formatRate(c.tokensPerSecond)}
            {formatPass(c.pass)}
          </p>
        </li>
      ))}
    </ol>
  );
}
