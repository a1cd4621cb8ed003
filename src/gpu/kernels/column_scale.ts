/**
 * Column scaling, IA³'s operation: y = x ⊙ l with one vector l [N] for every row of x [T, N] (a projection's
 * output scaled per feature, or its input), and its backward: dx = dy ⊙ l and dl += Σ_t dy ⊙ x. DoRA uses it for
 * its magnitude: y = p ⊙ (m/n) + bias, and dm += (Σ_t dy ⊙ p) ⊙ (1/n) through the backward's `gradScale`.
 *
 * Shapes: x, y, dy, dx, residual [T, N] f32; l, dl, bias, gradScale [N] f32. An output must not share a buffer
 * with another argument.
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

/** y = x ⊙ l (+ bias) (+ residual). x, y, residual [T, N]; l, bias [N]. */
export function columnScaleForward(
  ctx: GpuContext,
  x: Tensor,
  l: Tensor,
  y: Tensor,
  options: { residual?: Tensor; bias?: Tensor } = {},
): void {
  const rows: Record<string, Tensor> = { x, y, ...(options.residual ? { residual: options.residual } : {}) };
  const [t, n] = check('column_scale_forward', rows, { l, ...(options.bias ? { bias: options.bias } : {}) }, ['y']);
  const count = t * n;
  if (count === 0) return;
  const kernel = ctx.kernel({
    name: 'column_scale_forward',
    code: FORWARD_WGSL,
    constants: { WORKGROUP_SIZE, HAS_BIAS: options.bias ? 1 : 0, HAS_RESIDUAL: options.residual ? 1 : 0 },
  });
  // An unused bias or residual is bound to l or x, read-only, never read.
  const bindings = [x, l, options.bias ?? l, options.residual ?? x, y];
  ctx.dispatch(kernel, new Params().u32(count).u32(n), bindings, linearGrid(count, WORKGROUP_SIZE));
}

/** dx (+)= dy ⊙ l and dl += (Σ_t dy ⊙ x) (⊙ gradScale). dy, x, dx [T, N]; l, dl, gradScale [N]. */
export function columnScaleBackward(
  ctx: GpuContext,
  dy: Tensor,
  x: Tensor,
  l: Tensor,
  dx: Tensor,
  dl: Tensor,
  options: { accumulate?: boolean; gradScale?: Tensor } = {},
): void {
  const { gradScale } = options;
  const [t, n] = check('column_scale_backward', { dy, x, dx }, { l, dl, ...(gradScale ? { gradScale } : {}) }, ['dx', 'dl']);
  if (t * n === 0) return;
  const kernel = ctx.kernel({
    name: 'column_scale_backward',
    code: columnScaleBackwardWgsl,
    constants: { WORKGROUP_SIZE: BACKWARD_WORKGROUP, ACCUMULATE: options.accumulate ? 1 : 0, HAS_GRAD_SCALE: gradScale ? 1 : 0 },
  });
  const bindings = [dy, x, l, dx, dl, gradScale ?? l];
  ctx.dispatch(kernel, new Params().u32(t).u32(n), bindings, [ceilDiv(n, BACKWARD_WORKGROUP), 1]);
}
