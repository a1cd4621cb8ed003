/** CPU references for matmul.ts, in float64 accumulation. Shapes as in matmul.ts; W rows [offset, offset+n). */

export function matmulForwardRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  m: number,
  n: number,
  k: number,
  opts: { bias?: ArrayLike<number>; residual?: ArrayLike<number>; scale?: number; rowOffset?: number } = {},
): Float64Array {
  const { scale = 1, rowOffset = 0 } = opts;
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      const wr = (rowOffset + j) * k;
      for (let p = 0; p < k; p++) acc += x[i * k + p] * w[wr + p];
      let v = scale * acc;
      if (opts.bias) v += opts.bias[rowOffset + j];
      if (opts.residual) v += opts.residual[i * n + j];
      y[i * n + j] = v;
    }
  }
  return y;
}

/** dX [M,K] = scale · dY [M,N] · W[rows] */
export function matmulBackwardInputRef(
  dy: ArrayLike<number>,
  w: ArrayLike<number>,
  m: number,
  n: number,
  k: number,
  scale = 1,
  rowOffset = 0,
): Float64Array {
  const dx = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const g = dy[i * n + j] * scale;
      const wr = (rowOffset + j) * k;
      for (let p = 0; p < k; p++) dx[i * k + p] += g * w[wr + p];
    }
  }
  return dx;
}

/** dW [N,K] = scale · dYᵀ · X (only the n selected rows; caller places them) */
export function matmulBackwardWeightRef(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  m: number,
  n: number,
  k: number,
  scale = 1,
): Float64Array {
  const dw = new Float64Array(n * k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const g = dy[i * n + j] * scale;
      for (let p = 0; p < k; p++) dw[j * k + p] += g * x[i * k + p];
    }
  }
  return dw;
}
