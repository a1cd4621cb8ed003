/**
 * Cross-entropy fused with the LM head, over vocabulary chunks, so the [T, V] logits never exist whole.
 *   hidden h [T, C] (after the final norm), weight W [V, C] (nn.Linear layout), labels [T] i32 (< 0: ignored),
 *   logitsChunk: scratch [≥T, chunk], stats: scratch [≥T, 3] (running max, running Σexp, label logit),
 *   losses [T]: m + log s − logit[label] (0 for ignored tokens), metrics [≥ i+3]: Σ losses, valid labels, labels ≥ V.
 * Forward: per chunk, logits = h·W[rows]ᵀ, then `cross_entropy_forward` merges the chunk into stats; a finishing
 * dispatch writes losses and metrics. Backward: per chunk (last first), recompute logits, turn them in place into
 * dlogits = (softmax − onehot(label))·gradScale, then dh += dlogits·W[rows] and optionally dW[rows] (+)= dlogitsᵀ·h.
 * Labels ≥ V are treated as ignored and counted in metrics[i+2], so the host can refuse the batch.
 */
import crossEntropyBackwardWgsl from '../../shaders/cross_entropy_backward.wgsl?raw';
import crossEntropyForwardWgsl from '../../shaders/cross_entropy_forward.wgsl?raw';
import crossEntropyForwardFinishWgsl from '../../shaders/cross_entropy_forward_finish.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { matmulBackwardInput, matmulBackwardWeight, matmulForward } from './matmul';
import { rowThreadsFor } from './row_threads';

const WORKGROUP_SIZE = 256;
/** Slots a forward pass writes into `metrics`, from `metricsIndex`. */
export const CROSS_ENTROPY_METRICS = { lossSum: 0, validCount: 1, invalidLabels: 2 } as const;

export interface CrossEntropyForwardArgs {
  hidden: Tensor;
  weight: Tensor;
  labels: Tensor;
  losses: Tensor;
  stats: Tensor;
  logitsChunk: Tensor;
  /** Where the host reads the step's loss: [metricsIndex + CROSS_ENTROPY_METRICS.*]. */
  metrics: Tensor;
  metricsIndex?: number;
}

export interface CrossEntropyBackwardArgs {
  hidden: Tensor;
  weight: Tensor;
  labels: Tensor;
  stats: Tensor;
  logitsChunk: Tensor;
  dHidden: Tensor;
  /** LM-head weight gradient [V, C]; omitted when the head is frozen. */
  dWeight?: Tensor;
  /** Usually 1 / (number of valid labels): the loss is then the mean over valid tokens. */
  gradScale: number;
  /** Add into dHidden instead of overwriting it. */
  accumulate?: boolean;
  /** Add into dWeight instead of overwriting its rows (e.g. tied embeddings). */
  accumulateWeight?: boolean;
  /**
   * The caller promises `logitsChunk` still holds the logits of the forward pass's last chunk for these same
   * hidden/weight, so that chunk is not recomputed (with V ≤ chunk, the backward needs no logits matmul at all).
   */
  reuseLastChunk?: boolean;
}

interface Shapes {
  tokens: number;
  dim: number;
  vocab: number;
  chunk: number;
}

function fail(kernel: string, message: string): never {
  throw new GpuError(`${kernel}: ${message}`);
}

function expectShape(kernel: string, t: Tensor, dtype: Tensor['dtype'], shape: readonly number[], name: string): void {
  if (t.dtype !== dtype) fail(kernel, `${name} ${t} must be ${dtype}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(kernel, `${name} ${t} should be [${shape.join('×')}]`);
  }
}

function checkCommon(kernel: string, a: CrossEntropyForwardArgs | CrossEntropyBackwardArgs): Shapes {
  const { hidden, weight, labels, stats, logitsChunk } = a;
  if (hidden.shape.length !== 2) fail(kernel, `hidden ${hidden} must be 2-D [T, C]`);
  const [tokens, dim] = hidden.shape;
  if (tokens < 1 || dim < 1) fail(kernel, `hidden ${hidden} is empty`);
  if (weight.shape.length !== 2 || weight.shape[1] !== dim) {
    fail(kernel, `weight ${weight} should be [V×${dim}] to match hidden ${hidden}`);
  }
  const vocab = weight.shape[0];
  expectShape(kernel, hidden, 'f32', [tokens, dim], 'hidden');
  expectShape(kernel, weight, 'f32', [vocab, dim], 'weight');
  expectShape(kernel, labels, 'i32', [tokens], 'labels');
  if (stats.dtype !== 'f32' || stats.shape.length !== 2 || stats.shape[1] !== 3 || stats.shape[0] < tokens) {
    fail(kernel, `stats ${stats} should be f32 [≥${tokens}×3]`);
  }
  if (logitsChunk.dtype !== 'f32' || logitsChunk.shape.length !== 2 || logitsChunk.shape[0] < tokens) {
    fail(kernel, `logitsChunk ${logitsChunk} should be f32 [≥${tokens}×chunk]`);
  }
  if (stats.buffer === logitsChunk.buffer) fail(kernel, `stats ${stats} and logitsChunk share a buffer`);
  const chunk = Math.min(logitsChunk.shape[1], vocab);
  if (chunk < 1) fail(kernel, `logitsChunk ${logitsChunk} has no columns`);
  return { tokens, dim, vocab, chunk };
}

/** A [T, count] view of the scratch buffer: the matmul launchers check shapes exactly. */
function chunkView(scratch: Tensor, tokens: number, count: number): Tensor {
  return scratch.view([tokens, count]);
}

/** losses[t] = logsumexp(h·Wᵀ)[t] − (h·Wᵀ)[t, label_t]; metrics[i..i+2] = Σ losses, valid count, labels ≥ V. */
export function crossEntropyForward(ctx: GpuContext, args: CrossEntropyForwardArgs): void {
  const kernel = 'cross_entropy_forward';
  const { tokens, vocab, chunk } = checkCommon(kernel, args);
  expectShape(kernel, args.losses, 'f32', [tokens], 'losses');
  const metricsIndex = args.metricsIndex ?? 0;
  const m = args.metrics;
  if (m.dtype !== 'f32' || !Number.isInteger(metricsIndex) || metricsIndex < 0 || m.size < metricsIndex + 3) {
    fail(kernel, `metrics ${m} must be f32 with room for 3 values at index ${metricsIndex}`);
  }
  if (m.buffer === args.losses.buffer) fail(kernel, `metrics ${m} and losses ${args.losses} share a buffer`);
  for (let offset = 0; offset < vocab; offset += chunk) {
    const count = Math.min(chunk, vocab - offset);
    const logits = chunkView(args.logitsChunk, tokens, count);
    matmulForward(ctx, args.hidden, args.weight, logits, { wRows: { offset, count } });
    mergeChunkStats(ctx, logits, args.labels, args.stats, offset);
  }
  finishCrossEntropy(ctx, args.stats, args.labels, args.losses, args.metrics, vocab, metricsIndex);
}

/**
 * Merges one chunk of logits [T, count] (vocabulary columns offset .. offset+count) into stats [T, 3]; the first
 * chunk (offset 0) overwrites them. Shared by every LM head (dense here, quantized in quantized-head-loss.ts).
 */
export function mergeChunkStats(ctx: GpuContext, logits: Tensor, labels: Tensor, stats: Tensor, offset: number): void {
  const [tokens, count] = logits.shape;
  // One workgroup per token reduces the chunk's row: few threads on a CPU implementation (row_threads.ts).
  const constants = { WORKGROUP_SIZE: rowThreadsFor(ctx, WORKGROUP_SIZE) };
  const update = ctx.kernel({ name: 'cross_entropy_forward', code: crossEntropyForwardWgsl, constants });
  const params = new Params().u32(tokens).u32(count).u32(offset).u32(offset === 0 ? 1 : 0);
  ctx.dispatch(update, params, [logits, labels, stats], linearGrid(tokens, 1));
}

/** losses [T] and metrics[i..i+2] (Σ losses, valid labels, labels ≥ V) from the merged stats of every chunk. */
export function finishCrossEntropy(
  ctx: GpuContext,
  stats: Tensor,
  labels: Tensor,
  losses: Tensor,
  metrics: Tensor,
  vocab: number,
  metricsIndex = 0,
): void {
  const finish = ctx.kernel({
    name: 'cross_entropy_forward_finish',
    code: crossEntropyForwardFinishWgsl,
    constants: { WORKGROUP_SIZE },
  });
  const params = new Params().u32(labels.shape[0]).u32(vocab).u32(metricsIndex);
  ctx.dispatch(finish, params, [stats, labels, losses, metrics], [1]);
}

/** dHidden (+)= dlogits·W, dWeight (+)= dlogitsᵀ·h, with dlogits = (softmax − onehot)·gradScale, over chunks. */
export function crossEntropyBackward(ctx: GpuContext, args: CrossEntropyBackwardArgs): void {
  const kernel = 'cross_entropy_backward';
  const { tokens, dim, vocab, chunk } = checkCommon(kernel, args);
  expectShape(kernel, args.dHidden, 'f32', [tokens, dim], 'dHidden');
  if (args.dWeight) expectShape(kernel, args.dWeight, 'f32', [vocab, dim], 'dWeight');
  const written = [args.dHidden, args.dWeight, args.logitsChunk].filter((t): t is Tensor => t !== undefined);
  if (new Set(written.map((t) => t.buffer)).size !== written.length) {
    fail(kernel, `dHidden, dWeight and logitsChunk must be distinct buffers`);
  }
  if (!Number.isFinite(args.gradScale)) fail(kernel, `gradScale ${args.gradScale} is not finite`);
  const grad = ctx.kernel({ name: kernel, code: crossEntropyBackwardWgsl, constants: { WORKGROUP_SIZE } });
  const chunks = Math.ceil(vocab / chunk);
  // Last chunk first: it is the one the forward pass left in the scratch buffer.
  for (let c = chunks - 1; c >= 0; c--) {
    const offset = c * chunk;
    const count = Math.min(chunk, vocab - offset);
    const wRows = { offset, count };
    const logits = chunkView(args.logitsChunk, tokens, count);
    const lastChunk = c === chunks - 1;
    if (!(lastChunk && args.reuseLastChunk)) matmulForward(ctx, args.hidden, args.weight, logits, { wRows });
    const params = new Params().u32(tokens).u32(count).u32(offset).u32(vocab).f32(args.gradScale);
    ctx.dispatch(grad, params, [args.stats, args.labels, logits], linearGrid(tokens * count, WORKGROUP_SIZE));
    matmulBackwardInput(ctx, logits, args.weight, args.dHidden, {
      wRows,
      accumulate: lastChunk ? (args.accumulate ?? false) : true,
    });
    if (args.dWeight) {
      matmulBackwardWeight(ctx, logits, args.hidden, args.dWeight, { wRows, accumulate: args.accumulateWeight });
    }
  }
}

export interface CrossEntropyPlan {
  /** Largest token count a step will use. */
  maxTokens: number;
  vocab: number;
  /**
   * Vocabulary columns per chunk; by default the whole vocabulary, lowered to fit `maxScratchBytes`. One chunk
   * means the backward reuses the forward's logits instead of recomputing them (SmolLM2-135M at 256 tokens:
   * 50 MB of scratch saves a second 14.5 GFLOP LM-head product per step).
   */
  chunk?: number;
  /** Cap on the logits scratch buffer; default 64 MiB (also capped by the adapter's binding size). */
  maxScratchBytes?: number;
}

/** Chunk width for a plan: as asked (default V), within the scratch budget, a multiple of 64 when above 64 and below V. */
export function crossEntropyChunkSize(ctx: GpuContext, plan: CrossEntropyPlan): number {
  const budget = Math.min(plan.maxScratchBytes ?? 64 * 2 ** 20, ctx.maxBindingBytes);
  let chunk = Math.min(plan.chunk ?? plan.vocab, plan.vocab, Math.floor(budget / (4 * plan.maxTokens)));
  if (chunk > 64 && chunk < plan.vocab) chunk -= chunk % 64;
  if (chunk < 1) {
    throw new GpuError(`cross_entropy: ${plan.maxTokens} tokens do not fit one logits column in ${budget} bytes`);
  }
  return chunk;
}

/**
 * Owns the scratch buffers of the chunked loss, allocated once: logitsChunk [maxTokens, chunk] and
 * stats [maxTokens, 3]. Tracks whether the scratch still holds the forward pass's last chunk, so the backward
 * skips recomputing it.
 */
function sameMemory(a: Tensor, b: Tensor): boolean {
  return (
    a.buffer === b.buffer &&
    a.byteOffset === b.byteOffset &&
    a.dtype === b.dtype &&
    a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i])
  );
}

export class CrossEntropyChunked {
  readonly chunk: number;
  readonly logitsChunk: Tensor;
  readonly stats: Tensor;
  private lastForward: { hidden: Tensor; weight: Tensor } | null = null;

  constructor(
    private readonly ctx: GpuContext,
    plan: CrossEntropyPlan,
  ) {
    if (!Number.isInteger(plan.maxTokens) || plan.maxTokens < 1 || !Number.isInteger(plan.vocab) || plan.vocab < 1) {
      throw new GpuError(`cross_entropy: bad plan maxTokens=${plan.maxTokens} vocab=${plan.vocab}`);
    }
    this.chunk = crossEntropyChunkSize(ctx, plan);
    this.logitsChunk = ctx.tensor([plan.maxTokens, this.chunk], 'f32', 'cross_entropy:logits-chunk');
    this.stats = ctx.tensor([plan.maxTokens, 3], 'f32', 'cross_entropy:stats');
  }

  forward(args: Omit<CrossEntropyForwardArgs, 'stats' | 'logitsChunk'>): void {
    this.lastForward = null;
    crossEntropyForward(this.ctx, { ...args, stats: this.stats, logitsChunk: this.logitsChunk });
    this.lastForward = { hidden: args.hidden, weight: args.weight };
  }

  backward(args: Omit<CrossEntropyBackwardArgs, 'stats' | 'logitsChunk' | 'reuseLastChunk'>): void {
    const last = this.lastForward;
    // Views are made afresh by callers ([T, C] of a [maxTokens, C] buffer), so "the same tensor" means the same
    // memory seen the same way, not the same object.
    const reuseLastChunk = last !== null && sameMemory(last.hidden, args.hidden) && sameMemory(last.weight, args.weight);
    // The backward overwrites the scratch with dlogits: a second backward must recompute.
    this.lastForward = null;
    crossEntropyBackward(this.ctx, { ...args, stats: this.stats, logitsChunk: this.logitsChunk, reuseLastChunk });
  }

  release(): void {
    this.ctx.release(this.logitsChunk);
    this.ctx.release(this.stats);
  }
}
