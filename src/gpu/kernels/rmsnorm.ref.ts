/** CPU reference for rmsnorm.ts, in float64. x, y, dY, dX [T, C]; w, dW [C]; rstd [T]. */

export function rmsnormForwardRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  channels: number,
  eps: number,
): { y: Float64Array; rstd: Float64Array } {
  const rows = x.length / channels;
  const y = new Float64Array(x.length);
  const rstd = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += x[t * channels + c] ** 2;
    const r = 1 / Math.sqrt(sum / channels + eps);
    rstd[t] = r;
    for (let c = 0; c < channels; c++) y[t * channels + c] = x[t * channels + c] * r * w[c];
  }
  return { y, rstd };
}

/** Analytic gradients; the test checks them (and the GPU) against finite differences of the forward. */
export function rmsnormBackwardRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  dY: ArrayLike<number>,
  channels: number,
  eps: number,
): { dX: Float64Array; dW: Float64Array } {
  const rows = x.length / channels;
  const { rstd } = rmsnormForwardRef(x, w, channels, eps);
  const dX = new Float64Array(x.length);
  const dW = new Float64Array(channels);
  for (let t = 0; t < rows; t++) {
    const r = rstd[t];
    let s = 0;
    for (let c = 0; c < channels; c++) s += dY[t * channels + c] * w[c] * x[t * channels + c];
    const k = (r * r * r * s) / channels;
    for (let c = 0; c < channels; c++) {
      const at = t * channels + c;
      dX[at] = r * w[c] * dY[at] - k * x[at];
      dW[c] += dY[at] * x[at] * r;
    }
  }
  return { dX, dW };
}
