/** Validation loss and perplexity per column; the lowest loss is marked. */
import { formatLoss, formatPerplexity } from './compare-format';

export interface EvalRow {
  label: string;
  meanLoss: number | null;
  perplexity: number | null;
  trainedTokens: number | null;
}

export function EvalTable({ rows, caption }: { rows: EvalRow[]; caption: string }) {
  const losses = rows.map((r) => r.meanLoss).filter((l): l is number => l !== null);
  const best = losses.length > 1 ? Math.min(...losses) : null;
  return (
    <table className="compare-eval-table">
      <caption className="muted">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Model</th>
          <th scope="col">Validation loss</th>
          <th scope="col">Perplexity</th>
          <th scope="col">Tokens</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i} className={r.meanLoss !== null && r.meanLoss === best ? 'best' : undefined}>
            <th scope="row">{r.label}</th>
            <td data-testid="eval-loss">{r.meanLoss === null ? '…' : formatLoss(r.meanLoss)}</td>
            <td>{r.perplexity === null ? '…' : formatPerplexity(r.perplexity)}</td>
            <td>{r.trainedTokens === null ? '…' : r.trainedTokens.toLocaleString('en-US')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
