/** Token-length figures of a tokenized dataset, for the studio's dataset panel, the CLI and the sample's README. */
import type { TokenizedExample } from './tokenize';

export interface TokenStats {
  examples: number;
  /** Tokens per example. */
  minTokens: number;
  medianTokens: number;
  meanTokens: number;
  maxTokens: number;
  totalTokens: number;
  /** Tokens that are training targets, and their share of all tokens. */
  trainedTokens: number;
  trainedFraction: number;
  truncated: number;
}

export function tokenStats(examples: readonly TokenizedExample[]): TokenStats {
  const lengths = examples.map((e) => e.ids.length).sort((a, b) => a - b);
  const n = lengths.length;
  const totalTokens = lengths.reduce((a, b) => a + b, 0);
  const trainedTokens = examples.reduce((a, e) => a + e.trainedCount, 0);
  const median = n === 0 ? 0 : n % 2 ? lengths[(n - 1) / 2] : (lengths[n / 2 - 1] + lengths[n / 2]) / 2;
  return {
    examples: n,
    minTokens: n ? lengths[0] : 0,
    medianTokens: median,
    meanTokens: n ? totalTokens / n : 0,
    maxTokens: n ? lengths[n - 1] : 0,
    totalTokens,
    trainedTokens,
    trainedFraction: totalTokens ? trainedTokens / totalTokens : 0,
    truncated: examples.filter((e) => e.truncatedFrom !== undefined).length,
  };
}
