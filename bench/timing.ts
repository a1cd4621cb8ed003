/**
 * Wall-clock timing of GPU work for the kernel benchmark: one submit per run, timed from before recording to
 * `queue.onSubmittedWorkDone()`, the same way for our kernels and for TF.js. SwiftShader runs on the CPU, so
 * this is the time the work took; on a real GPU it also includes the (small) submit latency, on both sides.
 */

/** One timed run: records and submits the work, then resolves when the GPU has finished it. */
export type Run = () => Promise<void>;

export interface Timing {
  /** Median of the timed runs, ms. */
  medianMs: number;
  /** Every timed run, ms, in order. */
  runsMs: number[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timeOnce(run: Run): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

/**
 * Times two implementations of the same operation side by side: one untimed warm-up each (pipeline compiles,
 * buffer pools) unless `warmUp` is false, then `reps` rounds that alternate ours and theirs, so noise from other
 * processes on the machine lands on both sides alike.
 */
export async function timePair(
  ours: Run,
  theirs: Run,
  reps: number,
  warmUp = true,
): Promise<{ ours: Timing; theirs: Timing }> {
  if (warmUp) {
    await ours();
    await theirs();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < reps; r++) {
    a.push(await timeOnce(ours));
    b.push(await timeOnce(theirs));
  }
  return { ours: { medianMs: median(a), runsMs: a }, theirs: { medianMs: median(b), runsMs: b } };
}
