/** CPU reference for dora_scale.ts, in float64: n_j = ‖W_j + s·B_j·A‖ per row of W [N, K]; m/n, 1/n and n. */

export function doraScaleRef(
  w: ArrayLike<number>,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  scale: number,
  magnitude: ArrayLike<number>,
  n: number,
  k: number,
  r: number,
): { g: Float64Array; invNorm: Float64Array; norm: Float64Array } {
  const norm = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      let delta = 0;
      for (let q = 0; q < r; q++) delta += b[j * r + q] * a[q * k + c];
      const v = w[j * k + c] + scale * delta;
      sum += v * v;
    }
    norm[j] = Math.sqrt(sum);
  }
  return { g: norm.map((x, j) => magnitude[j] / x), invNorm: norm.map((x) => 1 / x), norm };
}
