/**
 * Peak JS heap of one benchmark case, in this process: `process.memoryUsage().heapUsed` sampled by a 20 ms timer
 * and wherever the case calls `sample()` (a timer cannot fire inside a synchronous loop). The baseline is taken
 * after a full GC (`--expose-gc`; without it the baseline includes the previous case's garbage, and the report
 * says so). A peak between two samples is missed, so the peak is a lower bound, within ~20 ms of garbage.
 */
export interface HeapFigures {
  /** heapUsed after a full GC before the case, bytes. */
  baselineBytes: number;
  /** Highest heapUsed sampled during the case, bytes. */
  peakBytes: number;
  /** peak − baseline: what the case itself held (with its garbage not yet collected). */
  peakAboveBaselineBytes: number;
  samples: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

export const HAS_GC = typeof gc === 'function';

export function fullGc(): void {
  gc?.();
}

export class HeapSampler {
  private peak = 0;
  private samples = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private baseline = 0;

  readonly sample = (): void => {
    const used = process.memoryUsage().heapUsed;
    this.samples++;
    if (used > this.peak) this.peak = used;
  };

  start(): void {
    fullGc();
    this.baseline = process.memoryUsage().heapUsed;
    this.peak = this.baseline;
    this.timer = setInterval(this.sample, 20);
  }

  stop(): HeapFigures {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return { baselineBytes: this.baseline, peakBytes: this.peak, peakAboveBaselineBytes: this.peak - this.baseline, samples: this.samples };
  }
}
