/** CPU reference for swiglu.ts, in float64. gate, up, dOut [T, F] flattened. */

function sigmoid(g: number): number {
  return 1 / (1 + Math.exp(-g));
}

export function swigluForwardRef(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  const out = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
  return out;
}

export function swigluBackwardRef(
  gate: ArrayLike<number>,
  up: ArrayLike<number>,
  dOut: ArrayLike<number>,
): { dGate: Float64Array; dUp: Float64Array } {
  const dGate = new Float64Array(gate.length);
  const dUp = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const s = sigmoid(gate[i]);
    dUp[i] = dOut[i] * gate[i] * s;
    dGate[i] = dOut[i] * up[i] * s * (1 + gate[i] * (1 - s));
  }
  return { dGate, dUp };
}
