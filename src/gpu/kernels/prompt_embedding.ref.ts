/** CPU reference for prompt_embedding.ts, float64. */

/** x with the rows at positions < P replaced by the prompt's rows. */
export function promptEmbeddingForwardRef(
  positions: ArrayLike<number>,
  prompt: ArrayLike<number>,
  x: ArrayLike<number>,
  channels: number,
): Float64Array {
  const virtualTokens = prompt.length / channels;
  const out = Float64Array.from(x);
  for (let t = 0; t < positions.length; t++) {
    const p = positions[t];
    if (p >= virtualTokens) continue;
    for (let c = 0; c < channels; c++) out[t * channels + c] = prompt[p * channels + c];
  }
  return out;
}

/** dPrompt [P, C] = initial + Σ over the rows at position p < P of dX. */
export function promptEmbeddingBackwardRef(
  positions: ArrayLike<number>,
  dX: ArrayLike<number>,
  virtualTokens: number,
  channels: number,
  initial?: ArrayLike<number>,
): Float64Array {
  const d = new Float64Array(virtualTokens * channels);
  if (initial) d.set(initial);
  for (let t = 0; t < positions.length; t++) {
    const p = positions[t];
    if (p >= virtualTokens) continue;
    for (let c = 0; c < channels; c++) d[p * channels + c] += dX[t * channels + c];
  }
  return d;
}
