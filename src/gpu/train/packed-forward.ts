/**
 * The forward of a packed batch to its loss: embedding → every block (src/gpu/model/transformer-block.ts, the
 * same layer code as inference) → final norm and the LM head's cross-entropy. The trainer records it before its
 * backward; the loss evaluator records it alone. Its buffers are planned once, for `maxTokens` rows.
 */
import type { TokenBatch } from '../../data/batch-types';
import { ropeInverseFrequencies } from '../../model/rope-frequencies';
import type { GpuContext } from '../context';
import { embeddingForward } from '../kernels/embedding';
import { promptEmbeddingForward } from '../kernels/prompt_embedding';
import type { LayerProjections } from '../lora/adapted-linear';
import type { Block, BlockDropout, BlockInputs } from '../model/transformer-block';
import { blockForward } from '../model/transformer-block';
import { HostEmbedding } from '../model/host-embedding';
import type { FrozenWeight } from '../model/linear';
import type { GpuModelConfig, GpuModelWeights } from '../model/weights';
import type { Tensor } from '../tensor';
import { TrainingActivations, type ActivationPlan } from './activations';
import { checkBatch } from './batch-check';
import { LmHeadLoss } from './lm-head-loss';
import type { EvalMetrics } from './types';

/** A model as src/gpu/model/upload.ts leaves it. */
export interface TrainableModel {
  config: GpuModelConfig;
  weights: GpuModelWeights;
  /** RoPE inverse frequencies [headDim/2] (GGUF files may carry their own); from the config when absent. */
  invFreq?: Float32Array;
}

/** Slots of the LM head's metrics buffer (f32 [4]): Σ loss, trained labels, labels ≥ V, and a free slot. */
export const METRIC = { lossSum: 0, trained: 1, invalid: 2, normSq: 3 } as const;

export class PackedForward {
  readonly config: GpuModelConfig;
  readonly act: TrainingActivations;
  readonly head: LmHeadLoss;
  readonly blocks: Block[];
  readonly invFreq: Tensor; // [D/2]
  private readonly tokenEmbedding: FrozenWeight | HostEmbedding; // [V, C] frozen, f32 or in its file's format

  constructor(
    private readonly ctx: GpuContext,
    model: TrainableModel,
    projections: readonly LayerProjections[],
    readonly plan: ActivationPlan,
    /** Prompt tuning: [P, C] embeddings of each sequence's P virtual slots (null: none). */
    readonly prompt: Tensor | null = null,
  ) {
    const c = (this.config = model.config);
    this.act = new TrainingActivations(ctx, c, plan);
    this.head = new LmHeadLoss(ctx, c, model.weights, this.act.final, plan.maxTokens);
    this.tokenEmbedding = model.weights.tokenEmbedding;
    this.blocks = model.weights.layers.map((weights, index) => ({ index, weights, projections: projections[index] }));
    const invFreq = model.invFreq ?? ropeInverseFrequencies(c.headDim, c.ropeTheta, c.ropeScaling);
    this.invFreq = ctx.tensor([c.headDim / 2], 'f32', 'train.invFreq', invFreq);
  }

  /** Checks the batch and writes its four arrays into the planned input buffers; returns T. */
  upload(batch: TokenBatch, what: string): number {
    const c = this.config;
    const t = checkBatch(batch, { maxTokens: this.plan.maxTokens, vocabSize: c.vocabSize, contextLength: c.contextLength }, what);
    const p = this.prompt?.shape[0] ?? 0;
    if ((batch.virtualTokens ?? 0) !== p) {
      throw new RangeError(`${what}: the batch was laid out for ${batch.virtualTokens ?? 0} virtual tokens per sequence, the model has ${p}`);
    }
    const a = this.act;
    this.ctx.write(a.ids, batch.tokens);
    this.ctx.write(a.labels, batch.targets);
    this.ctx.write(a.positions, batch.positions);
    this.ctx.write(a.seqStart, batch.seqStart);
    // A host-side table writes the rows the GPU gather would have: x0 is never written by the blocks.
    if (this.tokenEmbedding instanceof HostEmbedding) this.ctx.write(this.xs(0, t), this.tokenEmbedding.gather(batch.tokens));
    return t;
  }

  blockInputs(t: number, dropout: BlockDropout | null): BlockInputs {
    const a = this.act;
    return {
      ctx: this.ctx,
      config: this.config,
      tokens: t,
      positions: a.positions.view([t]),
      seqStart: a.seqStart.view([t]),
      invFreq: this.invFreq,
      dropout,
    };
  }

  /** Layer i's input residual [T, C] (i = L: the last layer's output). */
  xs(i: number, t: number): Tensor {
    return this.act.xs[i].view([t, this.config.hiddenSize]);
  }

  /** [T] i32 labels of the uploaded batch. */
  labels(t: number): Tensor {
    return this.act.labels.view([t]);
  }

  /**
   * Embedding (the virtual slots' rows from the prompt), every block (keeping activations unless `keep` is false:
   * checkpointing or eval), the loss.
   */
  record(b: BlockInputs, keep: boolean): void {
    const t = b.tokens;
    if (!(this.tokenEmbedding instanceof HostEmbedding)) {
      embeddingForward(this.ctx, this.act.ids.view([t]), this.tokenEmbedding, this.xs(0, t));
    }
    if (this.prompt) promptEmbeddingForward(this.ctx, b.positions, this.prompt, this.xs(0, t));
    for (const block of this.blocks) {
      // Without kept activations every block writes the shared slot 0 (recomputed in backward).
      const slot = keep ? this.act.layers[block.index] : this.act.layers[0];
      blockForward(b, block, slot, this.xs(block.index, t), this.xs(block.index + 1, t));
    }
    this.head.forward(this.xs(this.blocks.length, t), this.labels(t));
  }

  /** Forward only (no gradients, no dropout): the batch's summed loss and its trained tokens. */
  async loss(batch: TokenBatch, what = 'evaluate'): Promise<EvalMetrics> {
    const t = this.upload(batch, what);
    this.record(this.blockInputs(t, null), false);
    const m = (await this.ctx.read(this.head.metrics)) as Float32Array;
    return { lossSum: m[METRIC.lossSum], trainedTokens: m[METRIC.trained] };
  }

  /** Bytes of activations and loss scratch. */
  get bytes(): number {
    return this.act.bytes + this.head.bytes;
  }

  release(): void {
    this.act.release();
    this.head.release();
    this.ctx.release(this.invFreq);
  }
}
