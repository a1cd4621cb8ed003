/** CPU reference for embedding.ts. Ids >= V give zero rows and no gradient, as on the GPU. */

/** out [T, C] from ids [T] and table [V, C]; float64 so finite differences through it stay exact. */
export function embeddingForwardRef(ids: ArrayLike<number>, table: ArrayLike<number>, channels: number): Float64Array {
  const vocab = table.length / channels;
  const out = new Float64Array(ids.length * channels);
  for (let t = 0; t < ids.length; t++) {
    if (ids[t] >= vocab) continue;
    for (let c = 0; c < channels; c++) out[t * channels + c] = table[ids[t] * channels + c];
  }
  return out;
}

/**
 * dTable [V, C] from ids [T] and dOut [T, C], summed in float32 in token order: the GPU promises exactly this
 * order, so the comparison can be bit-exact. `initial` is the dTable being accumulated into, if any.
 */
export function embeddingBackwardRef(
  ids: ArrayLike<number>,
  dOut: ArrayLike<number>,
  vocab: number,
  channels: number,
  initial?: ArrayLike<number>,
): Float32Array {
  const dTable = new Float32Array(vocab * channels);
  if (initial) dTable.set(initial);
  for (let t = 0; t < ids.length; t++) {
    if (ids[t] >= vocab) continue;
    for (let c = 0; c < channels; c++) {
      const at = ids[t] * channels + c;
      dTable[at] = Math.fround(dTable[at] + dOut[t * channels + c]);
    }
  }
  return dTable;
}
