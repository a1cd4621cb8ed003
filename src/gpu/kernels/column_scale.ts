/**
 * Column scaling, IA³'s operation: y = x ⊙ l with one vector l [N] for every row of x [T, N] (a projection's
 * output scaled per feature, or its input), and its backward: dx = dy ⊙ l and dl += Σ_t dy ⊙ x.
 *
 * Shapes: x, y, dy, dx, residual [T, N] f32; l, dl [N] f32. An output must not share a buffer with another argument.
 */
import columnScaleBackwardWgsl from '../../shaders/column_scale_backward.wgsl?raw';
import columnScaleForwardWgsl from '../../shaders/column_scale_forward.wgsl?raw';
import linearGridWgsl from '../../shaders/linear_grid.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { ceilDiv, linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { spliceWgsl } from './splice';

const FORWARD_WGSL = spliceWgsl(columnScaleForwardWgsl, linearGridWgsl);
const WORKGROUP_SIZE = 256;
/** Threads (columns) per workgroup of the backward: N is a few hundred to a few thousand columns. */
const BACKWARD_WORKGROUP = 64;

/** Checks the roles' shapes and that no output (named in `outputs`) shares a buffer with another role; returns [T, N]. */
function check(kernel: string, rows: Record<string, Tensor>, vectors: Record<string, Tensor>, outputs: string[]): [number, number] {
  const first = Object.values(rows)[0];
  if (first.shape.length !== 2) throw new GpuError(`${kernel}: ${Object.keys(rows)[0]} ${first} must be [T, N]`);
  const [t, n] = first.shape;
  for (const [role, x] of Object.entries(rows)) {
    if (x.dtype !== 'f32' || x.shape.length !== 2 || x.shape[0] !== t || x.shape[1] !== n) {
      throw new GpuError(`${kernel}: ${role} is ${x}, expected [${t}×${n}:f32]`);
    }
  }
  for (const [role, v] of Object.entries(vectors)) {
    if (v.dtype !== 'f32' || v.size !== n) throw new GpuError(`${kernel}: ${role} is ${v}, expected ${n} f32 values`);
  }
  const all = { ...rows, ...vectors };
  for (const out of outputs) {
    for (const [role, x] of Object.entries(all)) {
      if (role !== out && x.buffer === all[out].buffer) {
        throw new GpuError(`${kernel}: ${out} ${all[out]} shares a buffer with ${role} ${x}`);
      }
    }
  }
  return [t, n];
}

/** y = x ⊙ l (+ residual). x, y, residual [T, N]; l [N]. */
export function columnScaleForward(ctx: GpuContext, x: Tensor, l: Tensor, y: Tensor, options: { residual?: Tensor } = {}): void {
  const rows: Record<string, Tensor> = { x, y, ...(options.residual ? { residual: options.residual } : {}) };
  const [t, n] = check('column_scale_forward', rows, { l }, ['y']);
  const count = t * n;
  if (count === 0) return;
  const kernel = ctx.kernel({
    name: 'column_scale_forward',
    code: FORWARD_WGSL,
    constants: { WORKGROUP_SIZE, HAS_RESIDUAL: options.residual ? 1 : 0 },
  });
  // An unused residual is bound to x, read-only, never read.
  ctx.dispatch(kernel, new Params().u32(count).u32(n), [x, l, options.residual ?? x, y], linearGrid(count, WORKGROUP_SIZE));
}

/** dx (+)= dy ⊙ l and dl += Σ_t dy ⊙ x. dy, x, dx [T, N]; l, dl [N]. */
export function columnScaleBackward(
  ctx: GpuContext,
  dy: Tensor,
  x: Tensor,
  l: Tensor,
  dx: Tensor,
  dl: Tensor,
  options: { accumulate?: boolean } = {},
): void {
  const [t, n] = check('column_scale_backward', { dy, x, dx }, { l, dl }, ['dx', 'dl']);
  if (t * n === 0) return;
  const kernel = ctx.kernel({
    name: 'column_scale_backward',
    code: columnScaleBackwardWgsl,
    constants: { WORKGROUP_SIZE: BACKWARD_WORKGROUP, ACCUMULATE: options.accumulate ? 1 : 0 },
  });
  ctx.dispatch(kernel, new Params().u32(t).u32(n), [dy, x, l, dx, dl], [ceilDiv(n, BACKWARD_WORKGROUP), 1]);
}
