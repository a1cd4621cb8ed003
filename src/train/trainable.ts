/**
 * What the loop needs from an engine and from a data pipeline: small interfaces the GPU LoRA trainer
 * (src/gpu/train) and the batch iterator (src/data) satisfy, so the loop's logic does not depend on either's
 * internals and runs the same in the CLI and in the studio's worker.
 */
import type { TokenBatch } from '../data/batch-types';
import type { EvalMetrics, OptimizerHyperparameters, StepMetrics, TrainerState } from '../gpu/train/types';

export interface Trainable {
  /**
   * Forward + backward of one micro-batch; gradients add up until `step`. `stepTrainedTokens` is the trained
   * tokens of all the step's micro-batches (the loss is their mean).
   */
  accumulate(batch: TokenBatch, stepTrainedTokens: number): void | Promise<void>;
  /** Clips, applies AdamW to the accumulated gradients, zeroes them; reports the step's loss and grad norm. */
  step(hp: OptimizerHyperparameters): Promise<StepMetrics>;
  /** Loss of a batch without touching gradients (dropout off). */
  evaluate(batch: TokenBatch): Promise<EvalMetrics>;
  exportState(): Promise<TrainerState>;
  importState(state: TrainerState): void | Promise<void>;
}

/** An endless stream of training micro-batches: a new (reshuffled) epoch starts when one ends. */
export interface BatchStream {
  /** A streamed file's batch may wait on reading and tokenizing. */
  next(): TokenBatch | Promise<TokenBatch>;
  /** Micro-batches in one epoch (an estimate while `epochEstimated`). */
  readonly batchesPerEpoch: number;
  /** True until the first pass over a streamed file has ended. */
  readonly epochEstimated?: boolean;
  /** JSON-serialisable place in the stream (epoch, shuffle seed, index). */
  position(): unknown;
  restore(position: unknown): void | Promise<void>;
}
