/**
 * Matrix products of a linear layer in nn.Linear layout (W is [out, in]), forward and both backward products.
 *   forward:         Y [M,N]  = scale·(X [M,K] · W[rows]ᵀ) + bias[rows] + residual [M,N]   (+ Y when accumulate)
 *   backward input:  dX [M,K] = scale·(dY [M,N] · W[rows])                                  (+ dX when accumulate)
 *   backward weight: dW[rows] = scale·(dY [M,N]ᵀ · X [M,K])                                 (+ dW when accumulate)
 * `wRows` selects a contiguous block of W's rows (N of them), so the LM head can be processed in vocabulary
 * chunks without copying W; by default all of W's rows are used and N = W.shape[0].
 */
import matmulBackwardInputWgsl from '../../shaders/matmul_backward_input.wgsl?raw';
import matmulBackwardWeightWgsl from '../../shaders/matmul_backward_weight.wgsl?raw';
import matmulForwardWgsl from '../../shaders/matmul_forward.wgsl?raw';
import lowRankWgsl from '../../shaders/matmul_low_rank.wgsl?raw';
import registerBlockWgsl from '../../shaders/matmul_register_block.wgsl?raw';
import tileLoopWgsl from '../../shaders/matmul_tile_loop.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { tileGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { MATVEC_MAX_M, matvecForwardF32 } from './matmul_quant';
import { spliceWgsl } from './splice';

// Each product is its own staging and store around one tile loop and register block; two add the fused LoRA term.
const FORWARD_WGSL = spliceWgsl(matmulForwardWgsl, tileLoopWgsl, registerBlockWgsl, lowRankWgsl);
const BACKWARD_INPUT_WGSL = spliceWgsl(matmulBackwardInputWgsl, tileLoopWgsl, registerBlockWgsl, lowRankWgsl);
const BACKWARD_WEIGHT_WGSL = spliceWgsl(matmulBackwardWeightWgsl, tileLoopWgsl, registerBlockWgsl);

/**
 * Tiling of all three products (WGSL `override`s of the same names). A workgroup of WG_N × WG_M threads computes
 * an output tile of (8·WG_M) × (8·WG_N); each thread holds an 8×8 register block (THREAD_BLOCK, fixed by the
 * WGSL's sixteen named vec4 accumulators) and the reduction is staged TK at a time in workgroup memory:
 * 2 · TK · 64 · 4 B = 16 KiB, the WebGPU default limit of maxComputeWorkgroupStorageSize.
 * Why 8×8 threads × 8×8 outputs, TK = 32: per reduction step a thread reads 4 vec4 from workgroup memory for 64
 * multiply-adds, 64 threads fill two 32-wide subgroups (one 64-wide), and a 64×64 tile keeps the grid at ≥ 36
 * workgroups on SmolLM2's shapes. On SwiftShader, bench/matmul-tiling.bench.ts found TK 16/32 and workgroups
 * from 4×4 to 16×8 within noise of each other; this one beats TF.js on every product (bench/kernels.bench.ts).
 */
export interface MatmulTiling {
  /** Threads along the output's columns and rows. */
  readonly WG_N: number;
  readonly WG_M: number;
  /** Reduction steps staged per barrier; a multiple of 4 (vec4 loads). */
  readonly TK: number;
}
export const MATMUL_TILING: MatmulTiling = { WG_N: 8, WG_M: 8, TK: 32 };
/** Outputs per thread along each dimension, fixed by the WGSL's 8×8 block of named accumulators. */
const THREAD_BLOCK = 8;

/**
 * The tiling for an output of rows × cols: MATMUL_TILING, narrowed along a side of at most 8 (LoRA's rank-r
 * products: x·Aᵀ [T, r], dY·B [T, r], dB [out, r], dA [r, in]) so that a 64×64 tile does not compute 56 columns
 * of nothing. The narrow side then takes one thread, and the other side keeps its 8 threads. A reduction shorter
 * than TK (u·Bᵀ and du·A reduce over r) stages only its own depth, not TK steps of zeros. On SwiftShader these
 * cut LoRA's rank-8 products 2–6× (x·Aᵀ at 256×576→8: 19 → 3.3 ms; du·A: 29 → 8.7 ms).
 */
export function tilingFor(rows: number, cols: number, depth: number): MatmulTiling {
  return {
    ...MATMUL_TILING,
    TK: Math.min(MATMUL_TILING.TK, Math.max(4, Math.ceil(depth / 4) * 4)),
    WG_N: cols <= THREAD_BLOCK ? 1 : MATMUL_TILING.WG_N,
    WG_M: rows <= THREAD_BLOCK ? 1 : MATMUL_TILING.WG_M,
  };
}

/**
 * Checks a tiling against the device (threads per workgroup, workgroup memory) and returns the output tile.
 * Only benchmarks pass a tiling other than MATMUL_TILING.
 */
function tileOf(ctx: GpuContext, kernel: string, t: MatmulTiling): { rows: number; cols: number } {
  const { maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupStorageSize } = ctx.device.limits;
  const rows = t.WG_M * THREAD_BLOCK;
  const cols = t.WG_N * THREAD_BLOCK;
  const sharedBytes = t.TK * (rows + cols) * 4;
  if (!(t.TK > 0 && t.TK % 4 === 0 && t.WG_N > 0 && t.WG_M > 0)) {
    throw new GpuError(`${kernel}: tiling ${JSON.stringify(t)} needs TK a positive multiple of 4 and WG_N, WG_M > 0`);
  }
  if (t.WG_N * t.WG_M > maxComputeInvocationsPerWorkgroup || sharedBytes > maxComputeWorkgroupStorageSize) {
    throw new GpuError(
      `${kernel}: tiling ${JSON.stringify(t)} needs ${t.WG_N * t.WG_M} threads and ${sharedBytes} B of workgroup ` +
        `memory; this device allows ${maxComputeInvocationsPerWorkgroup} and ${maxComputeWorkgroupStorageSize}`,
    );
  }
  return { rows, cols };
}

export interface RowSlice {
  offset: number;
  count: number;
}

export interface MatmulForwardOptions {
  bias?: Tensor;
  residual?: Tensor;
  scale?: number;
  accumulate?: boolean;
  wRows?: RowSlice;
  /** A LoRA path added in the same dispatch: Y += scale·U·Bᵀ with U [M, r] and B [N, r] (needs scale = 1). */
  lowRank?: LowRankTerm;
}

/** The low-rank operand pair of a fused LoRA term: u is [M, r]; b is B [N, r] (forward) or A [r, K] (dX). */
export interface LowRankTerm {
  u: Tensor;
  b: Tensor;
  scale: number;
}

export interface MatmulBackwardOptions {
  scale?: number;
  accumulate?: boolean;
  wRows?: RowSlice;
}

export interface MatmulBackwardInputOptions extends MatmulBackwardOptions {
  /** LoRA's share of dX in the same dispatch: dX += scale·dU·A with dU [M, r] and A [r, K] (needs scale = 1). */
  lowRank?: LowRankTerm;
}

/** Checks shapes and returns {m, n, k, offset}. `a` is the [M, ·] operand, `w` the weight [N_total, K]. */
function linearShapes(
  kernel: string,
  m: number,
  k: number,
  w: Tensor,
  wRows: RowSlice | undefined,
): { n: number; offset: number } {
  if (w.shape.length !== 2) throw new GpuError(`${kernel}: weight ${w} must be 2-D [out, in]`);
  if (w.shape[1] !== k) throw new GpuError(`${kernel}: weight ${w} has in=${w.shape[1]}, expected K=${k}`);
  const offset = wRows?.offset ?? 0;
  const n = wRows?.count ?? w.shape[0];
  if (offset < 0 || n < 0 || offset + n > w.shape[0]) {
    throw new GpuError(`${kernel}: rows [${offset}, ${offset + n}) are outside weight ${w}`);
  }
  return { n, offset };
}

function expectShape(kernel: string, t: Tensor, shape: number[]): void {
  if (t.dtype !== 'f32') throw new GpuError(`${kernel}: ${t} must be f32`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new GpuError(`${kernel}: ${t} should be [${shape.join('×')}]`);
  }
}

/** A fused low-rank term: u [M, r], its factor of shape factorShape(r), and a base scale of 1 (u is pre-scaled). */
function checkLowRank(
  kernel: string,
  low: LowRankTerm,
  m: number,
  factorShape: (rank: number) => number[],
  scale: number | undefined,
): void {
  if (low.u.shape.length !== 2) throw new GpuError(`${kernel}: low-rank u ${low.u} must be 2-D [M, r]`);
  expectShape(kernel, low.u, [m, low.u.shape[1]]);
  expectShape(kernel, low.b, factorShape(low.u.shape[1]));
  if ((scale ?? 1) !== 1) throw new GpuError(`${kernel}: a low-rank term needs scale 1, got ${scale}`);
}

/** y = scale·(x·W[rows]ᵀ) + bias + residual. x [M,K], w [N_total,K], y [M,N], bias [N_total], residual [M,N]. */
export function matmulForward(
  ctx: GpuContext,
  x: Tensor,
  w: Tensor,
  y: Tensor,
  options: MatmulForwardOptions = {},
  tilingOverride?: MatmulTiling,
): void {
  const kernelName = 'matmul_forward';
  if (x.shape.length !== 2) throw new GpuError(`${kernelName}: input ${x} must be 2-D [M, K]`);
  const [m, k] = x.shape;
  const { n, offset } = linearShapes(kernelName, m, k, w, options.wRows);
  const tiling = tilingOverride ?? tilingFor(m, n, k);
  expectShape(kernelName, x, [m, k]);
  expectShape(kernelName, y, [m, n]);
  if (options.bias) expectShape(kernelName, options.bias, [w.shape[0]]);
  if (options.residual) expectShape(kernelName, options.residual, [m, n]);
  const low = options.lowRank;
  if (low) checkLowRank(kernelName, low, m, (r) => [n, r], options.scale);
  // Decode (a few rows of X): the matrix-vector kernel, as for the stored formats; the tiles would be mostly empty.
  if (!tilingOverride && m > 0 && m <= MATVEC_MAX_M && k % 8 === 0) {
    if (y === x || y === options.bias || y === options.residual) throw new GpuError(`${kernelName}: the output ${y} aliases an input`);
    matvecForwardF32(ctx, x, w, y, options, { offset, count: n });
    return;
  }
  const tile = tileOf(ctx, kernelName, tiling);
  const kernel = ctx.kernel({
    name: kernelName,
    code: FORWARD_WGSL,
    // vec4 loads run along K, the contiguous dimension of both X and W.
    entryPoint: k % 4 === 0 ? 'main_vec4' : 'main',
    constants: {
      ...tiling,
      HAS_BIAS: options.bias ? 1 : 0,
      HAS_RESIDUAL: options.residual ? 1 : 0,
      ACCUMULATE: options.accumulate ? 1 : 0,
      HAS_LOW_RANK: low ? 1 : 0,
    },
  });
  const params = new Params()
    .u32(m)
    .u32(n)
    .u32(k)
    .u32(offset)
    .f32(options.scale ?? 1)
    .u32(low ? low.u.shape[1] : 0)
    .f32(low?.scale ?? 0);
  // Unused optional operands are bound to an input: the shader never reads them when the override is off.
  const grid = tileGrid(kernelName, m, n, tile.rows, tile.cols, ctx.device.limits.maxComputeWorkgroupsPerDimension);
  ctx.dispatch(kernel, params, [x, w, options.bias ?? w, options.residual ?? x, y, low?.u ?? x, low?.b ?? w], grid);
}

/** dx = scale·(dy·W[rows]). dy [M,N], w [N_total,K], dx [M,K]. */
export function matmulBackwardInput(
  ctx: GpuContext,
  dy: Tensor,
  w: Tensor,
  dx: Tensor,
  options: MatmulBackwardInputOptions = {},
  tilingOverride?: MatmulTiling,
): void {
  const kernelName = 'matmul_backward_input';
  if (dx.shape.length !== 2) throw new GpuError(`${kernelName}: dx ${dx} must be 2-D [M, K]`);
  const [m, k] = dx.shape;
  const { n, offset } = linearShapes(kernelName, m, k, w, options.wRows);
  const tiling = tilingOverride ?? tilingFor(m, k, n);
  expectShape(kernelName, dy, [m, n]);
  expectShape(kernelName, dx, [m, k]);
  const low = options.lowRank;
  if (low) checkLowRank(kernelName, low, m, (r) => [r, k], options.scale);
  const tile = tileOf(ctx, kernelName, tiling);
  const kernel = ctx.kernel({
    name: kernelName,
    code: BACKWARD_INPUT_WGSL,
    // vec4 loads run along N for dY and along K for W.
    entryPoint: n % 4 === 0 && k % 4 === 0 ? 'main_vec4' : 'main',
    constants: { ...tiling, ACCUMULATE: options.accumulate ? 1 : 0, HAS_LOW_RANK: low ? 1 : 0 },
  });
  const params = new Params()
    .u32(m)
    .u32(n)
    .u32(k)
    .u32(offset)
    .f32(options.scale ?? 1)
    .u32(low ? low.u.shape[1] : 0)
    .f32(low?.scale ?? 0);
  const grid = tileGrid(kernelName, m, k, tile.rows, tile.cols, ctx.device.limits.maxComputeWorkgroupsPerDimension);
  ctx.dispatch(kernel, params, [dy, w, dx, low?.u ?? dy, low?.b ?? w], grid);
}

/** dW[rows] = scale·(dyᵀ·x). dy [M,N], x [M,K], dw [N_total,K]. */
export function matmulBackwardWeight(
  ctx: GpuContext,
  dy: Tensor,
  x: Tensor,
  dw: Tensor,
  options: MatmulBackwardOptions = {},
  tilingOverride?: MatmulTiling,
): void {
  const kernelName = 'matmul_backward_weight';
  if (x.shape.length !== 2) throw new GpuError(`${kernelName}: input ${x} must be 2-D [M, K]`);
  const [m, k] = x.shape;
  const { n, offset } = linearShapes(kernelName, m, k, dw, options.wRows);
  const tiling = tilingOverride ?? tilingFor(n, k, m);
  expectShape(kernelName, x, [m, k]);
  expectShape(kernelName, dy, [m, n]);
  if (dw.dtype !== 'f32') throw new GpuError(`${kernelName}: ${dw} must be f32`);
  const tile = tileOf(ctx, kernelName, tiling);
  const kernel = ctx.kernel({
    name: kernelName,
    code: BACKWARD_WEIGHT_WGSL,
    // vec4 loads run along N for dY and along K for X.
    entryPoint: n % 4 === 0 && k % 4 === 0 ? 'main_vec4' : 'main',
    constants: { ...tiling, ACCUMULATE: options.accumulate ? 1 : 0 },
  });
  // The dense products share one Params layout (matmul_tile_loop.wgsl): no fused low-rank term here.
  const params = new Params().u32(m).u32(n).u32(k).u32(offset).f32(options.scale ?? 1).u32(0).f32(0);
  const grid = tileGrid(kernelName, n, k, tile.rows, tile.cols, ctx.device.limits.maxComputeWorkgroupsPerDimension);
  ctx.dispatch(kernel, params, [dy, x, dw], grid);
}
