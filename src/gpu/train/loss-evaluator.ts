/**
 * The mean-loss side of a model: a packed batch's summed cross-entropy over its trained tokens, through the same
 * forward as training (src/gpu/train/packed-forward.ts, whose blocks are inference's), with or without an adapter
 * attached to the frozen layers. `webtune eval` and Compare's evaluation use it; nothing is trained, so it plans
 * no gradients and no optimizer state, only one block's activations for `maxTokens` rows.
 */
import type { TokenBatch } from '../../data/batch-types';
import { LORA_TARGETS } from '../../model/lora-targets';
import type { GpuContext } from '../context';
import type { InferenceAdapter } from '../lora/adapted-linear';
import { adaptedProjections } from '../lora/projections';
import { adapterBuffers } from './activations';
import { PackedForward, type TrainableModel } from './packed-forward';
import { TrainerSettingsError } from './lora-adapters';
import type { EvalMetrics } from './types';

export interface MeanLoss {
  meanLoss: number;
  perplexity: number;
  trainedTokens: number;
}

export class LossEvaluator {
  private readonly fwd: PackedForward;
  private disposed = false;

  /** `adapter` (owned by the caller, e.g. uploadLoraAdapter's) is added unmerged; null measures the base. */
  constructor(
    private readonly ctx: GpuContext,
    model: TrainableModel,
    options: { maxTokens: number; adapter: InferenceAdapter | null },
  ) {
    const { maxTokens, adapter } = options;
    if (!Number.isInteger(maxTokens) || maxTokens < 1) {
      throw new TrainerSettingsError(`maxTokens must be an integer ≥ 1, got ${maxTokens}`);
    }
    const layers = model.weights.layers;
    if (adapter && adapter.layers.length !== layers.length) {
      throw new TrainerSettingsError(`LossEvaluator: the adapter has ${adapter.layers.length} layers, the model ${layers.length}`);
    }
    const projections = layers.map((layer, i) => adaptedProjections(layer, adapter?.layers[i]));
    const plan = { maxTokens, ...adapterBuffers(projections), checkpointing: false, forwardOnly: true };
    // A prompt-tuning adapter's virtual tokens embed as its prompt (its batches are laid out with them).
    this.fwd = new PackedForward(ctx, model, projections, plan, adapter?.prompt ?? null);
  }

  /** Σ loss and trained tokens of one batch (T ≤ maxTokens). */
  async loss(batch: TokenBatch): Promise<EvalMetrics> {
    if (this.disposed) throw new TrainerSettingsError('loss: the evaluator was disposed');
    return this.fwd.loss(batch, 'loss');
  }

  /**
   * Mean loss over the trained tokens of every batch, one submit and readback per batch; null when `signal`
   * stopped it between batches. `onBatch` hears how many batches are done.
   */
  async meanLoss(
    batches: readonly TokenBatch[],
    options: { signal?: AbortSignal; onBatch?: (done: number) => void } = {},
  ): Promise<MeanLoss | null> {
    let lossSum = 0;
    let trainedTokens = 0;
    for (let i = 0; i < batches.length; i++) {
      if (options.signal?.aborted) return null;
      const m = await this.loss(batches[i]);
      lossSum += m.lossSum;
      trainedTokens += m.trainedTokens;
      options.onBatch?.(i + 1);
    }
    const meanLoss = lossSum / trainedTokens;
    return { meanLoss, perplexity: Math.exp(meanLoss), trainedTokens };
  }

  /** GPU bytes of activations and loss scratch. */
  get bytes(): number {
    return this.fwd.bytes + this.fwd.invFreq.byteSize;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.fwd.release();
  }
}
