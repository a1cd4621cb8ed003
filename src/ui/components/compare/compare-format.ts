/** How the Compare view writes its figures. */
export function formatRate(tokensPerSecond: number | null): string {
  return tokensPerSecond === null ? '– tokens/s' : `${tokensPerSecond.toFixed(1)} tokens/s`;
}

/** Losses to four places, enough to tell close models apart. */
export function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toFixed(4) : String(loss);
}

export function formatPerplexity(p: number): string {
  return Number.isFinite(p) ? p.toFixed(2) : String(p);
}
