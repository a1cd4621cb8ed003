/**
 * A small but complete CPU trainer for testing the loop without a GPU: a bigram language model (logits for the
 * next token = row W[token] of a [V, V] table) trained with AdamW, decoupled weight decay and global grad-norm
 * clipping, exactly as the GPU trainer's update is specified. It really learns, so the loop's tests exercise
 * real losses, and its state round-trips bit-exactly.
 */
import { IGNORE_TARGET, type TokenBatch } from '../../data/batch-types';
import type { EvalMetrics, OptimizerHyperparameters, StepMetrics, TrainerState } from '../../gpu/train/types';
import type { Trainable } from '../trainable';

export class BigramTrainer implements Trainable {
  params: Float32Array; // [V·V]
  private m: Float32Array;
  private v: Float32Array;
  private grads: Float64Array;
  private lossSum = 0;
  private tokens = 0;
  private t = 0;
  stepsTaken = 0;

  constructor(readonly vocab: number) {
    this.params = new Float32Array(vocab * vocab);
    this.m = new Float32Array(vocab * vocab);
    this.v = new Float32Array(vocab * vocab);
    this.grads = new Float64Array(vocab * vocab);
  }

  /** Loss sum over the batch's trained slots; adds d(loss sum)/dW into `grads` when asked. */
  private pass(batch: TokenBatch, grads: Float64Array | null): EvalMetrics {
    const V = this.vocab;
    let lossSum = 0;
    let trainedTokens = 0;
    const p = new Float64Array(V);
    for (let i = 0; i < batch.tokens.length; i++) {
      const target = batch.targets[i];
      if (target === IGNORE_TARGET) continue;
      const row = batch.tokens[i] * V;
      let max = -Infinity;
      for (let j = 0; j < V; j++) max = Math.max(max, this.params[row + j]);
      let sum = 0;
      for (let j = 0; j < V; j++) sum += p[j] = Math.exp(this.params[row + j] - max);
      lossSum += Math.log(sum) + max - this.params[row + target];
      trainedTokens++;
      if (grads) for (let j = 0; j < V; j++) grads[row + j] += p[j] / sum - (j === target ? 1 : 0);
    }
    return { lossSum, trainedTokens };
  }

  accumulate(batch: TokenBatch): void {
    const r = this.pass(batch, this.grads);
    this.lossSum += r.lossSum;
    this.tokens += r.trainedTokens;
  }

  async step(hp: OptimizerHyperparameters): Promise<StepMetrics> {
    const n = Math.max(1, this.tokens);
    let sq = 0;
    for (let i = 0; i < this.grads.length; i++) sq += (this.grads[i] / n) ** 2;
    const gradNorm = Math.sqrt(sq);
    const loss = this.lossSum / n;
    const trainedTokens = this.tokens;
    const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
    // As the GPU trainer does: a non-finite step is skipped, the state stays the last good one.
    const clip = hp.maxGradNorm > 0 ? Math.min(1, hp.maxGradNorm / (gradNorm + 1e-6)) : 1;
    if (finite) {
      this.t++;
      const c1 = 1 - hp.beta1 ** this.t;
      const c2 = 1 - hp.beta2 ** this.t;
      for (let i = 0; i < this.params.length; i++) {
        const g = (this.grads[i] / n) * clip;
        this.m[i] = hp.beta1 * this.m[i] + (1 - hp.beta1) * g;
        this.v[i] = hp.beta2 * this.v[i] + (1 - hp.beta2) * g * g;
        const update = this.m[i] / c1 / (Math.sqrt(this.v[i] / c2) + hp.eps);
        this.params[i] -= hp.learningRate * (update + hp.weightDecay * this.params[i]);
      }
      this.stepsTaken++;
    }
    this.grads.fill(0);
    this.lossSum = 0;
    this.tokens = 0;
    return { loss, trainedTokens, gradNorm, finite, clipScale: finite ? clip : 1, step: this.t };
  }

  async evaluate(batch: TokenBatch): Promise<EvalMetrics> {
    return this.pass(batch, null);
  }

  async exportState(): Promise<TrainerState> {
    return { step: this.t, layout: 'a-then-b', params: this.params.slice(), m: this.m.slice(), v: this.v.slice(), rngState: [] };
  }

  importState(s: TrainerState): void {
    this.t = s.step;
    this.params = s.params.slice();
    this.m = s.m.slice();
    this.v = s.v.slice();
  }
}
