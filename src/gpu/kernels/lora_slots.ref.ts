/**
 * CPU reference for lora_slots.ts, in float64. x [M, in], u [M, rMax], y [M, out] flattened row by row; rowSlot [M]
 * (a slot index, or anything ≥ slots.length for a row with no adapter); stack holds A_s [r_s, in] at o_s·in, then
 * B_s [out, r_s] at totalRank·in + o_s·out.
 */
import type { LoraSlot } from './lora_slots';

export interface LoraSlotsLayout {
  inFeatures: number;
  outFeatures: number;
  rMax: number;
  totalRank: number;
}

/** u[m, t] = Σ_i x[m, i] · A_s[t, i] for t < r_s, else 0. */
export function loraShrinkForwardRef(
  x: ArrayLike<number>,
  stack: ArrayLike<number>,
  slots: readonly LoraSlot[],
  rowSlot: ArrayLike<number>,
  { inFeatures, rMax }: LoraSlotsLayout,
): Float64Array {
  const u = new Float64Array(rowSlot.length * rMax);
  for (let m = 0; m < rowSlot.length; m++) {
    const slot = slots[rowSlot[m]];
    if (!slot) continue;
    for (let t = 0; t < Math.min(slot.rank, rMax); t++) {
      const a = (slot.offset + t) * inFeatures;
      let sum = 0;
      for (let i = 0; i < inFeatures; i++) sum += x[m * inFeatures + i] * stack[a + i];
      u[m * rMax + t] = sum;
    }
  }
  return u;
}

/** y + c_s · Σ_{t<r_s} u[m, t] · B_s[col, t] (a copy; rows with no adapter are y's own values). */
export function loraExpandForwardRef(
  y: ArrayLike<number>,
  u: ArrayLike<number>,
  stack: ArrayLike<number>,
  slots: readonly LoraSlot[],
  rowSlot: ArrayLike<number>,
  { inFeatures, outFeatures, rMax, totalRank }: LoraSlotsLayout,
): Float64Array {
  const out = Float64Array.from(y);
  for (let m = 0; m < rowSlot.length; m++) {
    const slot = slots[rowSlot[m]];
    if (!slot) continue;
    const bBase = totalRank * inFeatures + slot.offset * outFeatures;
    for (let col = 0; col < outFeatures; col++) {
      let sum = 0;
      for (let t = 0; t < Math.min(slot.rank, rMax); t++) sum += u[m * rMax + t] * stack[bBase + col * slot.rank + t];
      out[m * outFeatures + col] += slot.scale * sum;
    }
  }
  return out;
}
