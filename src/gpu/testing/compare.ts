/** Numeric comparison and finite differences for kernel tests. */

export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * Throws with the worst element's index and values when |a - e| > atol + rtol·|e| anywhere.
 * NaN anywhere in `actual` is a failure.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol, rtol }: Tolerance,
  what = 'tensor',
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} ≠ expected ${expected.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  let failures = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0)) {
      failures++;
      if (worst < 0 || !(excess <= worstExcess)) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (failures) {
    throw new Error(
      `${what}: ${failures}/${actual.length} elements differ; worst at [${worst}]: got ${actual[worst]}, ` +
        `expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** Largest relative error max|a-e| / max(max|e|, floor), a single figure for gradient checks. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-6): number {
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < actual.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return Number.isNaN(diff) ? Infinity : diff / scale;
}

/**
 * Central finite differences of a scalar function of `x`, in float64: dL/dx[i] ≈ (L(x+h) − L(x−h)) / 2h.
 * `indices` limits the probe to some elements (large tensors); others are left 0.
 */
export function finiteDifference(
  loss: (x: Float64Array) => number,
  x: ArrayLike<number>,
  h = 1e-5,
  indices?: readonly number[],
): Float64Array {
  const probe = Float64Array.from(x);
  const grad = new Float64Array(probe.length);
  const which = indices ?? Array.from({ length: probe.length }, (_, i) => i);
  for (const i of which) {
    const saved = probe[i];
    probe[i] = saved + h;
    const up = loss(probe);
    probe[i] = saved - h;
    const down = loss(probe);
    probe[i] = saved;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

/** Σ w·y, the scalar used to turn a tensor-valued function into a loss with a known upstream gradient w. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
