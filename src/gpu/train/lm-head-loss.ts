/**
 * The causal-LM loss at the top of the model: final RMSNorm, then cross-entropy fused with the (frozen) LM head in
 * vocabulary chunks (CrossEntropyChunked), so the [T, V] logits never exist whole. Forward writes the summed loss
 * and the valid-label count into a small metrics buffer; backward produces ∂L/∂x of the last layer's output.
 * A quantized head (QLoRA, untied) goes through QuantizedHeadCrossEntropy: same shaders, dequantizing matmuls.
 */
import type { GpuContext } from '../context';
import { CrossEntropyChunked } from '../kernels/cross_entropy';
import { rmsnormBackward, rmsnormForward } from '../kernels/rmsnorm';
import type { GpuModelConfig, GpuModelWeights } from '../model/weights';
import { Tensor } from '../tensor';
import { QuantizedHeadCrossEntropy } from './quantized-head-loss';

export class LmHeadLoss {
  /** Dense head [V, C]: the foundation's chunked loss; quantized head: the same loss over dequantizing matmuls. */
  private readonly loss: { dense: CrossEntropyChunked; head: Tensor } | { quant: QuantizedHeadCrossEntropy };
  readonly metrics: Tensor; // [4] f32: Σ loss, valid labels, labels ≥ V, (unused)
  private readonly rstd: Tensor; // [maxTokens]
  private readonly normed: Tensor; // [maxTokens, C]
  private readonly dNormed: Tensor | null; // [maxTokens, C]; null when only the forward runs (evaluation)
  private readonly losses: Tensor; // [maxTokens]

  constructor(
    private readonly ctx: GpuContext,
    private readonly config: GpuModelConfig,
    private readonly weights: GpuModelWeights,
    buffers: { rstd: Tensor; normed: Tensor; dNormed: Tensor | null; losses: Tensor },
    maxTokens: number,
  ) {
    const head = weights.output.weight;
    this.loss =
      head instanceof Tensor
        ? { dense: new CrossEntropyChunked(ctx, { maxTokens, vocab: config.vocabSize }), head }
        : { quant: new QuantizedHeadCrossEntropy(ctx, head, maxTokens) };
    this.metrics = ctx.tensor([4], 'f32', 'lm_head.metrics');
    this.rstd = buffers.rstd;
    this.normed = buffers.normed;
    this.dNormed = buffers.dNormed;
    this.losses = buffers.losses;
  }

  /** x [T, C] (last layer's output), labels [T] i32 → metrics [Σ loss, valid, invalid]. */
  forward(x: Tensor, labels: Tensor): void {
    const t = x.shape[0];
    const normed = this.normed.view([t, this.config.hiddenSize]);
    rmsnormForward(this.ctx, x, this.weights.outputNorm, normed, this.rstd.view([t]), this.config.rmsNormEps);
    const args = { hidden: normed, labels, losses: this.losses.view([t]), metrics: this.metrics };
    if ('dense' in this.loss) this.loss.dense.forward({ ...args, weight: this.loss.head });
    else this.loss.quant.forward(args);
  }

  /** dX [T, C] = ∂(gradScale·Σ loss)/∂x, overwritten. Must follow `forward` on the same x and labels. */
  backward(x: Tensor, labels: Tensor, dX: Tensor, gradScale: number): void {
    const t = x.shape[0];
    const c = this.config.hiddenSize;
    if (!this.dNormed) throw new Error('LmHeadLoss.backward: planned for the forward only (no dNormed buffer)');
    const normed = this.normed.view([t, c]);
    const dNormed = this.dNormed.view([t, c]);
    const args = { hidden: normed, labels, dHidden: dNormed, gradScale };
    if ('dense' in this.loss) this.loss.dense.backward({ ...args, weight: this.loss.head });
    else this.loss.quant.backward(args);
    rmsnormBackward(this.ctx, x, this.weights.outputNorm, this.rstd.view([t]), dNormed, dX, null);
  }

  get bytes(): number {
    const scratch = 'dense' in this.loss ? this.loss.dense : this.loss.quant;
    return scratch.logitsChunk.byteSize + scratch.stats.byteSize + this.metrics.byteSize;
  }

  release(): void {
    if ('dense' in this.loss) this.loss.dense.release();
    else this.loss.quant.release();
    this.ctx.release(this.metrics);
  }
}
