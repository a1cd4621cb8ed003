/** CPU reference for rope.ts. x [T, H, D], positions [T], invFreq [D/2]. */
import type { RopeLayout } from './rope';

/**
 * Rotates each pair by θ = f32(position · invFreq[i]) (the angle rounded to f32 as Hugging Face and the GPU
 * form it), then works in float64. `inverse` rotates by −θ, which is the backward pass.
 */
export function ropeRef(
  x: ArrayLike<number>,
  positions: ArrayLike<number>,
  invFreq: ArrayLike<number>,
  heads: number,
  layout: RopeLayout,
  inverse = false,
): Float64Array {
  const half = invFreq.length;
  const headDim = 2 * half;
  const out = new Float64Array(x.length);
  for (let t = 0; t < positions.length; t++) {
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const theta = Math.fround(positions[t] * Math.fround(invFreq[i]));
        const c = Math.cos(theta);
        const s = inverse ? -Math.sin(theta) : Math.sin(theta);
        const ia = layout === 'half' ? base + i : base + 2 * i;
        const ib = layout === 'half' ? ia + half : ia + 1;
        out[ia] = x[ia] * c - x[ib] * s;
        out[ib] = x[ia] * s + x[ib] * c;
      }
    }
  }
  return out;
}
