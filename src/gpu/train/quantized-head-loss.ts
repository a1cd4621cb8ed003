/**
 * The fused, vocabulary-chunked cross-entropy of src/gpu/kernels/cross_entropy.ts for an LM head that stays
 * quantized (QLoRA with an untied head: NF4 on load, or a GGUF's Q8_0/Q4_K… `output.weight`). Same shaders and
 * the same chunk loop; only the logits and the input gradient go through the dequantizing matmuls, so no
 * full-precision copy of the head ever exists. The head is frozen: no weight gradient.
 *   hidden [T, C], head [V, C] quantized, labels [T] i32 (< 0 ignored), losses [T], metrics [≥ 3]
 *   scratch: logitsChunk [maxTokens, chunk], stats [maxTokens, 3]
 */
import crossEntropyBackwardWgsl from '../../shaders/cross_entropy_backward.wgsl?raw';
import type { GpuContext } from '../context';
import { linearGrid } from '../grid';
import { crossEntropyChunkSize, finishCrossEntropy, mergeChunkStats } from '../kernels/cross_entropy';
import { matmulBackwardInputQuant, matmulForwardQuant, type QuantizedWeight } from '../kernels/matmul_quant';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';

// Must match the WORKGROUP_SIZE cross_entropy.ts compiles cross_entropy_backward with (its pipeline is then shared).
const WORKGROUP_SIZE = 256;

export class QuantizedHeadCrossEntropy {
  readonly chunk: number;
  readonly logitsChunk: Tensor;
  readonly stats: Tensor;

  constructor(
    private readonly ctx: GpuContext,
    private readonly head: QuantizedWeight,
    maxTokens: number,
  ) {
    const vocab = head.shape[0];
    this.chunk = crossEntropyChunkSize(ctx, { maxTokens, vocab });
    this.logitsChunk = ctx.tensor([maxTokens, this.chunk], 'f32', 'quant_head_ce:logits-chunk');
    this.stats = ctx.tensor([maxTokens, 3], 'f32', 'quant_head_ce:stats');
  }

  private chunks(): { offset: number; count: number }[] {
    const vocab = this.head.shape[0];
    const out = [];
    for (let offset = 0; offset < vocab; offset += this.chunk) out.push({ offset, count: Math.min(this.chunk, vocab - offset) });
    return out;
  }

  /** losses [T] and metrics[0..2] = Σ loss, valid labels, labels ≥ V. */
  forward(args: { hidden: Tensor; labels: Tensor; losses: Tensor; metrics: Tensor }): void {
    const { ctx } = this;
    const tokens = args.hidden.shape[0];
    const vocab = this.head.shape[0];
    for (const { offset, count } of this.chunks()) {
      const logits = this.logitsChunk.view([tokens, count]);
      matmulForwardQuant(ctx, args.hidden, this.head, logits, { wRows: { offset, count } });
      mergeChunkStats(ctx, logits, args.labels, this.stats, offset);
    }
    finishCrossEntropy(ctx, this.stats, args.labels, args.losses, args.metrics, vocab);
  }

  /** dHidden [T, C] = Σ_chunks dlogits·W[rows], dlogits = (softmax − onehot)·gradScale; after `forward`. */
  backward(args: { hidden: Tensor; labels: Tensor; dHidden: Tensor; gradScale: number }): void {
    const { ctx } = this;
    const tokens = args.hidden.shape[0];
    const vocab = this.head.shape[0];
    const grad = ctx.kernel({ name: 'cross_entropy_backward', code: crossEntropyBackwardWgsl, constants: { WORKGROUP_SIZE } });
    const chunks = this.chunks();
    chunks.forEach(({ offset, count }, i) => {
      const wRows = { offset, count };
      const logits = this.logitsChunk.view([tokens, count]);
      // With one chunk the scratch still holds the forward's logits; otherwise each chunk is recomputed.
      if (chunks.length > 1) matmulForwardQuant(ctx, args.hidden, this.head, logits, { wRows });
      const params = new Params().u32(tokens).u32(count).u32(offset).u32(vocab).f32(args.gradScale);
      ctx.dispatch(grad, params, [this.stats, args.labels, logits], linearGrid(tokens * count, WORKGROUP_SIZE));
      matmulBackwardInputQuant(ctx, logits, this.head, args.dHidden, { wRows, accumulate: i > 0 });
    });
  }

  get bytes(): number {
    return this.logitsChunk.byteSize + this.stats.byteSize;
  }

  release(): void {
    this.ctx.release(this.logitsChunk);
    this.ctx.release(this.stats);
  }
}
