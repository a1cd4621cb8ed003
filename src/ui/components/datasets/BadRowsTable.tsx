/** Rows that could not be used, with the line (or Parquet row) each starts on and the reason. */
import type { BadRow } from '../../../data';
import { formatCount } from '../../format';

/** Rows listed on screen; the count says how many more there are. */
const SHOWN = 50;

interface Props {
  rows: readonly BadRow[];
  total: number;
  unit: 'line' | 'row';
  caption: string;
}

export function BadRowsTable({ rows, total, unit, caption }: Props) {
  const shown = rows.slice(0, SHOWN);
  const Unit = unit === 'line' ? 'Line' : 'Row';
  return (
    <div className="bad-rows">
      <table className="limits bad-rows-table">
        <caption>
          {caption} ({formatCount(total)})
        </caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              {Unit}
            </th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((row, i) => (
            <tr key={`${row.line}-${i}`}>
              <th scope="row" className="num">
                {row.line}
                {row.column !== undefined && <span className="bad-col">:{row.column}</span>}
              </th>
              <td>{row.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > shown.length && (
        <p className="muted dataset-hint">…and {formatCount(total - shown.length)} more not listed here.</p>
      )}
    </div>
  );
}
