/**
 * CPU reference for adamw.ts, in float64, written from PyTorch's AdamW description (decoupled decay, then the
 * bias-corrected Adam step) and clip_grad_norm_ (scale min(1, maxNorm / (‖g‖ + 1e-6)) over all gradients).
 */
import { gradNormSquaredRef } from './grad_norm.ref';

export interface AdamWState {
  params: Float64Array[];
  m: Float64Array[];
  v: Float64Array[];
}

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
  maxGradNorm?: number;
  /** Elements from `start` on step with lr·lrRatio (a second parameter group). */
  group2?: { start: number; lrRatio: number };
}

/** Updates `state` in place with one step for `grads`; returns the clip scale used (1 without clipping). */
export function adamwStepRef(state: AdamWState, grads: readonly ArrayLike<number>[], h: AdamWHyper): number {
  const scale =
    h.maxGradNorm === undefined ? 1 : Math.min(1, h.maxGradNorm / (Math.sqrt(gradNormSquaredRef(grads)) + 1e-6));
  const bc1 = 1 - h.beta1 ** h.step;
  const bc2 = 1 - h.beta2 ** h.step;
  grads.forEach((g, t) => {
    const p = state.params[t];
    const m = state.m[t];
    const v = state.v[t];
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] * scale;
      const lr = h.group2 && i >= h.group2.start ? h.lr * h.group2.lrRatio : h.lr;
      p[i] -= lr * h.weightDecay * p[i];
      m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
      v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
      p[i] -= (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + h.eps);
    }
  });
  return scale;
}
