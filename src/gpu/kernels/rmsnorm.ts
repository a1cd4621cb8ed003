/**
 * Llama RMSNorm: y = x / sqrt(mean(x²) + eps) * w, over the last dimension of each row.
 *
 * Shapes: x, y, dY, dX [T, C] f32; w, dW [C] f32; rstd [T] f32 (1 / sqrt(mean(x²) + eps), saved by the
 * forward pass for the backward pass). Outputs must not share a buffer with any input (WebGPU refuses a
 * buffer bound both writable and readable in one dispatch).
 */
import rmsnormBackwardWgsl from '../../shaders/rmsnorm_backward.wgsl?raw';
import rmsnormBackwardDweightWgsl from '../../shaders/rmsnorm_backward_dweight.wgsl?raw';
import rmsnormForwardWgsl from '../../shaders/rmsnorm_forward.wgsl?raw';
import rowGridWgsl from '../../shaders/row_grid.wgsl?raw';
import workgroupSumWgsl from '../../shaders/workgroup_sum.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { ceilDiv, linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { rowThreadsFor } from './row_threads';
import { spliceWgsl } from './splice';

// Both row kernels run one workgroup per row and reduce it with workgroup_sum.wgsl.
const FORWARD_WGSL = spliceWgsl(rmsnormForwardWgsl, rowGridWgsl, workgroupSumWgsl);
const BACKWARD_WGSL = spliceWgsl(rmsnormBackwardWgsl, rowGridWgsl, workgroupSumWgsl);

/**
 * Threads per row on a GPU; a power of two for the tree reduction. 32 (one subgroup on most GPUs) keeps the
 * reduction to five barrier steps, and rows of a few thousand channels still give each thread a long enough strided
 * loop. A CPU implementation gets fewer (rowThreadsFor): with 256, SwiftShader took 20–30× longer on 256×576.
 */
const GPU_ROW_THREADS = 32;
/** The dW reduction's workgroup: adjacent columns (coalesced reads) × lanes splitting the rows. */
const TILE_COLUMNS = 32;
const ROW_LANES = 8;

function expectShape(kernel: string, role: string, t: Tensor, shape: readonly number[]): void {
  if (t.dtype !== 'f32' || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new GpuError(`${kernel}: ${role} is ${t}, expected [${shape.join('×')}:f32]`);
  }
}

function expectDistinct(kernel: string, inputs: Tensor[], outputs: Tensor[]): void {
  outputs.forEach((out, i) => {
    for (const other of [...inputs, ...outputs.slice(i + 1)]) {
      if (other.buffer === out.buffer) throw new GpuError(`${kernel}: ${out} shares a buffer with ${other}`);
    }
  });
}

function rowsAndChannels(kernel: string, x: Tensor, w: Tensor): [number, number] {
  if (x.shape.length !== 2) throw new GpuError(`${kernel}: x ${x} must be [T, C]`);
  const [rows, channels] = x.shape;
  expectShape(kernel, 'x', x, [rows, channels]);
  expectShape(kernel, 'w', w, [channels]);
  return [rows, channels];
}

/** y = x · rstd · w, rstd = 1 / sqrt(mean(x²) + eps) per row. x [T, C], w [C], y [T, C], rstd [T]. */
export function rmsnormForward(ctx: GpuContext, x: Tensor, w: Tensor, y: Tensor, rstd: Tensor, eps: number): void {
  const kernel = 'rmsnorm_forward';
  const [rows, channels] = rowsAndChannels(kernel, x, w);
  expectShape(kernel, 'y', y, [rows, channels]);
  expectShape(kernel, 'rstd', rstd, [rows]);
  expectDistinct(kernel, [x, w], [y, rstd]);
  if (!(eps >= 0)) throw new GpuError(`${kernel}: eps must be ≥ 0, got ${eps}`);
  const WORKGROUP_SIZE = rowThreadsFor(ctx, GPU_ROW_THREADS);
  const pipeline = ctx.kernel({ name: kernel, code: FORWARD_WGSL, constants: { WORKGROUP_SIZE } });
  const params = new Params().u32(rows).u32(channels).f32(eps);
  ctx.dispatch(pipeline, params, [x, w, y, rstd], linearGrid(rows, 1));
}

export interface RmsnormBackwardOptions {
  /** Add into dX instead of overwriting it (the residual stream's gradient is a sum). */
  accumulateDX?: boolean;
  /** Add into dW instead of overwriting it (gradient accumulation across micro-batches). */
  accumulateDW?: boolean;
}

/**
 * dX = rstd·w·dY − x·(rstd³/C)·Σ_c dY·w·x per row; dW = Σ_t dY·x·rstd, skipped when dW is null (frozen weight).
 * x [T, C], w [C], rstd [T] from the forward pass, dY [T, C], dX [T, C], dW [C] | null.
 */
export function rmsnormBackward(
  ctx: GpuContext,
  x: Tensor,
  w: Tensor,
  rstd: Tensor,
  dY: Tensor,
  dX: Tensor,
  dW: Tensor | null,
  { accumulateDX = false, accumulateDW = false }: RmsnormBackwardOptions = {},
): void {
  const kernel = 'rmsnorm_backward';
  const [rows, channels] = rowsAndChannels(kernel, x, w);
  expectShape(kernel, 'rstd', rstd, [rows]);
  expectShape(kernel, 'dY', dY, [rows, channels]);
  expectShape(kernel, 'dX', dX, [rows, channels]);
  if (dW) expectShape(kernel, 'dW', dW, [channels]);
  expectDistinct(kernel, [x, w, rstd, dY], dW ? [dX, dW] : [dX]);

  const dxKernel = ctx.kernel({
    name: kernel,
    code: BACKWARD_WGSL,
    constants: { WORKGROUP_SIZE: rowThreadsFor(ctx, GPU_ROW_THREADS), ACCUMULATE: Number(accumulateDX) },
  });
  ctx.dispatch(dxKernel, new Params().u32(rows).u32(channels), [x, w, rstd, dY, dX], linearGrid(rows, 1));
  if (!dW) return;
  const dwKernel = ctx.kernel({
    name: 'rmsnorm_backward_dweight',
    code: rmsnormBackwardDweightWgsl,
    constants: { TILE_COLUMNS, ROW_LANES, ACCUMULATE: Number(accumulateDW) },
  });
  const params = new Params().u32(rows).u32(channels);
  ctx.dispatch(dwKernel, params, [x, rstd, dY, dW], [ceilDiv(channels, TILE_COLUMNS)]);
}
