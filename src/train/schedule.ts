/**
 * Learning-rate schedules as pure functions of the optimizer step, so a resumed run recomputes exactly the rate
 * the straight run used (no scheduler state to save).
 *
 * `step` is 0-based: the rate for the (step+1)-th optimizer update. Warmup rises linearly to the peak and reaches
 * it at the last warmup step (step = warmup − 1), so no update is wasted at rate 0. After warmup, 'linear' and
 * 'cosine' decay from the peak towards `minRatio · peak` over the remaining steps; the final step still gets a
 * rate above the floor (decay progress is measured against totalSteps, which is never reached).
 */
export type ScheduleKind = 'constant' | 'linear' | 'cosine';
export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['constant', 'linear', 'cosine'];

export interface ScheduleSettings {
  kind: ScheduleKind;
  /** Peak learning rate (> 0). */
  peak: number;
  /** Optimizer steps of linear warmup (0 = none). */
  warmupSteps: number;
  /** Optimizer steps of the whole run (the decay's horizon). */
  totalSteps: number;
  /** Where linear/cosine decay ends, as a fraction of the peak (default 0). */
  minRatio?: number;
}

export function learningRateAt(step: number, s: ScheduleSettings): number {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`schedule: step ${step} is not a non-negative integer`);
  if (step < s.warmupSteps) return (s.peak * (step + 1)) / s.warmupSteps;
  if (s.kind === 'constant') return s.peak;
  const floor = s.peak * (s.minRatio ?? 0);
  const decaySteps = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / decaySteps);
  const shape = s.kind === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return floor + (s.peak - floor) * shape;
}
