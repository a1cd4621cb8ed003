/** How the Compare view writes its figures. */
import type { ColumnPass } from '../../../worker/compare-protocol';

export function formatRate(tokensPerSecond: number | null): string {
  return tokensPerSecond === null ? '– tokens/s' : `${tokensPerSecond.toFixed(1)} tokens/s`;
}

/** The pass a column ran in, after its speed: batched with the others (whose speed it shares), or its own and why. */
export function formatPass(pass: ColumnPass | null | undefined): string {
  if (!pass) return '';
  if (pass.kind === 'own') return ` · own pass: ${pass.reason}`;
  return pass.columns > 1 ? ` · batched, ${pass.columns} columns at once` : '';
}

/** Losses to four places, enough to tell close models apart. */
export function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toFixed(4) : String(loss);
}

export function formatPerplexity(p: number): string {
  return Number.isFinite(p) ? p.toFixed(2) : String(p);
}
