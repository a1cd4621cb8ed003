/** CPU reference for column_scale.ts, in float64. x, dy [T, N] flattened row by row; l [N]. */

export function columnScaleForwardRef(
  x: ArrayLike<number>,
  l: ArrayLike<number>,
  residual?: ArrayLike<number>,
  bias?: ArrayLike<number>,
): Float64Array {
  const n = l.length;
  return Float64Array.from(x, (v, i) => v * l[i % n] + (bias ? bias[i % n] : 0) + (residual ? residual[i] : 0));
}

export function columnScaleBackwardRef(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  l: ArrayLike<number>,
  gradScale?: ArrayLike<number>,
): { dx: Float64Array; dl: Float64Array } {
  const n = l.length;
  const dx = Float64Array.from(dy, (g, i) => g * l[i % n]);
  const dl = new Float64Array(n);
  for (let i = 0; i < dy.length; i++) dl[i % n] += dy[i] * x[i];
  if (gradScale) for (let j = 0; j < n; j++) dl[j] *= gradScale[j];
  return { dx, dl };
}
