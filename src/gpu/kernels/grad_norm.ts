/**
 * Squared global gradient norm: out[index] = Σ over tensors Σ g², for clipping (adamw.ts reads it on the GPU).
 *   grads: any number of f32 tensors of any sizes; out: f32 [≥ index + 1]; partials: scratch [one per block].
 * Deterministic: `grad_norm_forward` writes one partial sum per block of 2048 elements (7 tensors per dispatch),
 * then `grad_norm_forward_finish` adds the partials in index order. Dispatches: ceil(tensors / 7) + 1.
 */
import gradNormForwardWgsl from '../../shaders/grad_norm_forward.wgsl?raw';
import gradNormForwardFinishWgsl from '../../shaders/grad_norm_forward_finish.wgsl?raw';
import rowGridWgsl from '../../shaders/row_grid.wgsl?raw';
import workgroupSumWgsl from '../../shaders/workgroup_sum.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { spliceWgsl } from './splice';

// Each pass adds its workgroup's squares (or partials) with workgroup_sum.wgsl; the first runs one per block.
const BLOCKS_WGSL = spliceWgsl(gradNormForwardWgsl, rowGridWgsl, workgroupSumWgsl);
const FINISH_WGSL = spliceWgsl(gradNormForwardFinishWgsl, workgroupSumWgsl);

const WORKGROUP_SIZE = 256;
const ELEMENTS_PER_THREAD = 8;
const BLOCK = WORKGROUP_SIZE * ELEMENTS_PER_THREAD;
/** Gradient bindings in the shader (g0..g6): with the partials buffer, WebGPU's default 8 storage buffers. */
const TENSORS_PER_DISPATCH = 7;

export interface GradNormOptions {
  /** Element of `out` to write; lets the norm share the step's one metrics buffer with the loss. */
  index?: number;
  /** Scratch for the partial sums, f32 [≥ gradNormPartials(grads)]; by default one buffer per context, grown once. */
  partials?: Tensor;
}

/** Number of partial sums (the scratch size) for these gradients. */
export function gradNormPartials(grads: readonly Tensor[]): number {
  return grads.reduce((n, g) => n + Math.ceil(g.size / BLOCK), 0);
}

const sharedPartials = new WeakMap<GpuContext, Tensor>();

function partialsFor(ctx: GpuContext, count: number): Tensor {
  let t = sharedPartials.get(ctx);
  if (!t || t.size < count) {
    if (t) ctx.release(t);
    // Rounded up so a slowly growing parameter list does not reallocate every call.
    t = ctx.tensor([Math.max(1024, 2 ** Math.ceil(Math.log2(count)))], 'f32', 'grad_norm:partials');
    sharedPartials.set(ctx, t);
  }
  return t;
}

/** out[index] = Σ_tensors Σ_i g[i]². */
export function gradNormSquared(
  ctx: GpuContext,
  grads: readonly Tensor[],
  out: Tensor,
  options: GradNormOptions = {},
): void {
  const kernelName = 'grad_norm_forward';
  const index = options.index ?? 0;
  if (out.dtype !== 'f32' || !Number.isInteger(index) || index < 0 || index >= out.size) {
    throw new GpuError(`${kernelName}: out ${out} must be f32 with an element at index ${index}`);
  }
  for (const g of grads) {
    if (g.dtype !== 'f32') throw new GpuError(`${kernelName}: gradient ${g} must be f32`);
    if (g.buffer === out.buffer) throw new GpuError(`${kernelName}: out ${out} is also a gradient`);
  }
  const live = grads.filter((g) => g.size > 0);
  const count = gradNormPartials(live);
  if (options.partials) {
    const p = options.partials;
    if (p.dtype !== 'f32' || p.size < count) throw new GpuError(`${kernelName}: partials ${p} needs ${count} f32`);
    if (p.buffer === out.buffer || live.some((g) => g.buffer === p.buffer)) {
      throw new GpuError(`${kernelName}: partials ${p} shares a buffer with out or a gradient`);
    }
  }
  const partials = options.partials ?? partialsFor(ctx, count);
  const constants = { WORKGROUP_SIZE, ELEMENTS_PER_THREAD };
  const blocks = ctx.kernel({ name: kernelName, code: BLOCKS_WGSL, constants });
  let base = 0;
  for (let first = 0; first < live.length; first += TENSORS_PER_DISPATCH) {
    const batch = live.slice(first, first + TENSORS_PER_DISPATCH);
    const sizes = new Array<number>(8).fill(0);
    const starts = new Array<number>(8).fill(0);
    let groups = 0;
    batch.forEach((g, j) => {
      sizes[j] = g.size;
      starts[j] = groups;
      groups += Math.ceil(g.size / BLOCK);
    });
    const params = new Params().u32(batch.length).u32(base).u32(groups).u32(0);
    for (const s of sizes) params.u32(s);
    for (const s of starts) params.u32(s);
    // Unused slots are bound to the first gradient: read-only duplicates are allowed and never read.
    const inputs = Array.from({ length: TENSORS_PER_DISPATCH }, (_, j) => batch[j] ?? batch[0]);
    ctx.dispatch(blocks, params, [...inputs, partials], linearGrid(groups, 1));
    base += groups;
  }
  const finish = ctx.kernel({
    name: 'grad_norm_forward_finish',
    code: FINISH_WGSL,
    constants: { WORKGROUP_SIZE },
  });
  ctx.dispatch(finish, new Params().u32(count).u32(index), [partials, out], [1]);
}
