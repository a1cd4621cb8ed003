/**
 * CPU reference for cross_entropy.ts, in float64 with the full [T, V] logits.
 * hidden [T, C], weight [V, C], labels [T] (< 0 or ≥ V: ignored). Loss per token: logsumexp(z) − z[label].
 */

export interface CrossEntropyRef {
  losses: Float64Array;
  lossSum: number;
  validCount: number;
  invalidLabels: number;
  /** [T, C]: d(gradScale·Σ losses)/dh. */
  dHidden: Float64Array;
  /** [V, C]: d(gradScale·Σ losses)/dW. */
  dWeight: Float64Array;
}

export function crossEntropyLossesRef(
  hidden: ArrayLike<number>,
  weight: ArrayLike<number>,
  labels: ArrayLike<number>,
  tokens: number,
  dim: number,
  vocab: number,
): { losses: Float64Array; probs: Float64Array } {
  const losses = new Float64Array(tokens);
  const probs = new Float64Array(tokens * vocab);
  const z = new Float64Array(vocab);
  for (let t = 0; t < tokens; t++) {
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) {
      let acc = 0;
      for (let c = 0; c < dim; c++) acc += hidden[t * dim + c] * weight[v * dim + c];
      z[v] = acc;
      max = Math.max(max, acc);
    }
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(z[v] - max);
    for (let v = 0; v < vocab; v++) probs[t * vocab + v] = Math.exp(z[v] - max) / sum;
    const label = labels[t];
    losses[t] = label >= 0 && label < vocab ? max + Math.log(sum) - z[label] : 0;
  }
  return { losses, probs };
}

export function crossEntropyRef(
  hidden: ArrayLike<number>,
  weight: ArrayLike<number>,
  labels: ArrayLike<number>,
  tokens: number,
  dim: number,
  vocab: number,
  gradScale: number,
): CrossEntropyRef {
  const { losses, probs } = crossEntropyLossesRef(hidden, weight, labels, tokens, dim, vocab);
  const dHidden = new Float64Array(tokens * dim);
  const dWeight = new Float64Array(vocab * dim);
  let lossSum = 0;
  let validCount = 0;
  let invalidLabels = 0;
  for (let t = 0; t < tokens; t++) {
    const label = labels[t];
    lossSum += losses[t];
    if (label >= vocab) invalidLabels++;
    if (label < 0 || label >= vocab) continue;
    validCount++;
    for (let v = 0; v < vocab; v++) {
      const d = (probs[t * vocab + v] - (v === label ? 1 : 0)) * gradScale;
      for (let c = 0; c < dim; c++) {
        dHidden[t * dim + c] += d * weight[v * dim + c];
        dWeight[v * dim + c] += d * hidden[t * dim + c];
      }
    }
  }
  return { losses, lossSum, validCount, invalidLabels, dHidden, dWeight };
}
