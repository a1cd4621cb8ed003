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
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';

const WORKGROUP_SIZE = 64;

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
}

export interface MatmulBackwardOptions {
  scale?: number;
  accumulate?: boolean;
  wRows?: RowSlice;
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

/** y = scale·(x·W[rows]ᵀ) + bias + residual. x [M,K], w [N_total,K], y [M,N], bias [N_total], residual [M,N]. */
export function matmulForward(
  ctx: GpuContext,
  x: Tensor,
  w: Tensor,
  y: Tensor,
  options: MatmulForwardOptions = {},
): void {
  const kernelName = 'matmul_forward';
  if (x.shape.length !== 2) throw new GpuError(`${kernelName}: input ${x} must be 2-D [M, K]`);
  const [m, k] = x.shape;
  const { n, offset } = linearShapes(kernelName, m, k, w, options.wRows);
  expectShape(kernelName, x, [m, k]);
  expectShape(kernelName, y, [m, n]);
  if (options.bias) expectShape(kernelName, options.bias, [w.shape[0]]);
  if (options.residual) expectShape(kernelName, options.residual, [m, n]);
  const kernel = ctx.kernel({
    name: kernelName,
    code: matmulForwardWgsl,
    constants: {
      WORKGROUP_SIZE,
      HAS_BIAS: options.bias ? 1 : 0,
      HAS_RESIDUAL: options.residual ? 1 : 0,
      ACCUMULATE: options.accumulate ? 1 : 0,
    },
  });
  const params = new Params().u32(m).u32(n).u32(k).u32(offset).f32(options.scale ?? 1);
  // Unused optional operands are bound to y: the shader never reads them when the override is off.
  ctx.dispatch(kernel, params, [x, w, options.bias ?? w, options.residual ?? x, y], linearGrid(m * n, WORKGROUP_SIZE));
}

/** dx = scale·(dy·W[rows]). dy [M,N], w [N_total,K], dx [M,K]. */
export function matmulBackwardInput(
  ctx: GpuContext,
  dy: Tensor,
  w: Tensor,
  dx: Tensor,
  options: MatmulBackwardOptions = {},
): void {
  const kernelName = 'matmul_backward_input';
  if (dx.shape.length !== 2) throw new GpuError(`${kernelName}: dx ${dx} must be 2-D [M, K]`);
  const [m, k] = dx.shape;
  const { n, offset } = linearShapes(kernelName, m, k, w, options.wRows);
  expectShape(kernelName, dy, [m, n]);
  expectShape(kernelName, dx, [m, k]);
  const kernel = ctx.kernel({
    name: kernelName,
    code: matmulBackwardInputWgsl,
    constants: { WORKGROUP_SIZE, ACCUMULATE: options.accumulate ? 1 : 0 },
  });
  const params = new Params().u32(m).u32(n).u32(k).u32(offset).f32(options.scale ?? 1);
  ctx.dispatch(kernel, params, [dy, w, dx], linearGrid(m * k, WORKGROUP_SIZE));
}

/** dW[rows] = scale·(dyᵀ·x). dy [M,N], x [M,K], dw [N_total,K]. */
export function matmulBackwardWeight(
  ctx: GpuContext,
  dy: Tensor,
  x: Tensor,
  dw: Tensor,
  options: MatmulBackwardOptions = {},
): void {
  const kernelName = 'matmul_backward_weight';
  if (x.shape.length !== 2) throw new GpuError(`${kernelName}: input ${x} must be 2-D [M, K]`);
  const [m, k] = x.shape;
  const { n, offset } = linearShapes(kernelName, m, k, dw, options.wRows);
  expectShape(kernelName, dy, [m, n]);
  const kernel = ctx.kernel({
    name: kernelName,
    code: matmulBackwardWeightWgsl,
    constants: { WORKGROUP_SIZE, ACCUMULATE: options.accumulate ? 1 : 0 },
  });
  const params = new Params().u32(m).u32(n).u32(k).u32(offset).f32(options.scale ?? 1);
  ctx.dispatch(kernel, params, [dy, x, dw], linearGrid(n * k, WORKGROUP_SIZE));
}
