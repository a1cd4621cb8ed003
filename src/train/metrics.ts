/** What a run records and reports: per-step and per-validation records, and the progress event. */

export interface StepRecord {
  /** 1-based optimizer step. */
  step: number;
  loss: number;
  learningRate: number;
  gradNorm: number;
  trainedTokens: number;
}

export interface ValidationRecord {
  step: number;
  loss: number;
  perplexity: number;
  trainedTokens: number;
}

export interface MetricsHistory {
  steps: StepRecord[];
  validations: ValidationRecord[];
}

/** Sent after every optimizer step (and after each validation, with `validation` set). */
export interface ProgressEvent {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  learningRate: number;
  gradNorm: number;
  /** Token slots processed per second of training time (whole run, resumes included). */
  tokensPerSecond: number;
  /** Seconds left at the current pace. */
  etaSeconds: number;
  /** The plan (total steps, so the ETA) rests on an estimated epoch length: a streamed file's first pass. */
  etaEstimated: boolean;
  /** The engine allocator's peak bytes so far, when the trainer reports it. */
  peakBytes: number | null;
  validation: ValidationRecord | null;
}

export function perplexity(loss: number): number {
  return Math.exp(loss);
}
