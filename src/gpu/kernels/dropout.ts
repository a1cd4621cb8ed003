/**
 * Dropout with a stateless, seeded mask (LoRA dropout on the adapter input). Forward: out = mask ⊙ x / (1 − p);
 * backward: dX (+)= mask ⊙ dOut / (1 − p): the same elementwise map, so both run dropout_forward.wgsl, and the
 * mask is recomputed from (seed, index) instead of stored. x, out, dOut, dX: [N] f32 (any shape, same size).
 */
import dropoutForwardWgsl from '../../shaders/dropout_forward.wgsl?raw';
import linearGridWgsl from '../../shaders/linear_grid.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { spliceWgsl } from './splice';

const DROPOUT_WGSL = spliceWgsl(dropoutForwardWgsl, linearGridWgsl);
import { dropoutThreshold } from './dropout.ref';

const WORKGROUP_SIZE = 256;

export interface DropoutOptions {
  /** Drop probability, 0 ≤ p < 1. */
  p: number;
  /** u32 seed of the mask; the same seed gives the same mask. */
  seed: number;
  /** Add into the output instead of overwriting it. */
  accumulate?: boolean;
}

function run(kernel: string, ctx: GpuContext, src: Tensor, dst: Tensor, o: DropoutOptions): void {
  if (!(o.p >= 0 && o.p < 1)) throw new GpuError(`${kernel}: p = ${o.p} must be in [0, 1)`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) {
    throw new GpuError(`${kernel}: seed ${o.seed} must be a u32`);
  }
  for (const t of [src, dst]) if (t.dtype !== 'f32') throw new GpuError(`${kernel}: ${t} must be f32`);
  if (src.size !== dst.size) throw new GpuError(`${kernel}: sizes differ: ${src}, ${dst}`);
  if (src.buffer === dst.buffer) throw new GpuError(`${kernel}: ${src} and ${dst} share a buffer`);
  const pipeline = ctx.kernel({
    name: 'dropout_forward',
    code: DROPOUT_WGSL,
    constants: { WORKGROUP_SIZE, ACCUMULATE: o.accumulate ? 1 : 0 },
  });
  const params = new Params().u32(src.size).u32(o.seed).u32(dropoutThreshold(o.p)).f32(1 / (1 - o.p));
  ctx.dispatch(pipeline, params, [src, dst], linearGrid(src.size, WORKGROUP_SIZE));
}

/** out (+)= mask ⊙ x / (1 − p). */
export function dropoutForward(ctx: GpuContext, x: Tensor, out: Tensor, options: DropoutOptions): void {
  run('dropout_forward', ctx, x, out, options);
}

/** dX (+)= mask ⊙ dOut / (1 − p), with the forward's mask (same seed). */
export function dropoutBackward(ctx: GpuContext, dOut: Tensor, dX: Tensor, options: DropoutOptions): void {
  run('dropout_backward', ctx, dOut, dX, options);
}
