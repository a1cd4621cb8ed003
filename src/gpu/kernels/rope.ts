/**
 * Rotary position embedding (RoPE) on q or k. Pair i of each head at position p is rotated by p·invFreq[i];
 * the backward pass rotates the gradient by the opposite angle.
 *
 * Shapes: x, out, dOut, dX [T, H, D] f32 (D = head dim, even); positions [T] u32 (per token, so packed
 * batches can restart at 0 for each example); invFreq [D/2] f32 from `ropeInverseFrequencies` (frequency
 * scaling such as Llama 3's changes only that host function).
 * Layouts: 'half' = Hugging Face rotate-half, pairs (i, i + D/2); 'interleaved' = GGUF / llama.cpp, pairs (2i, 2i+1).
 * In place is allowed: pass the same tensor as input and output and the kernel's in-place entry point is used.
 */
import ropeForwardWgsl from '../../shaders/rope_forward.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { DType, Tensor } from '../tensor';
import { Params } from '../uniforms';

export { ropeInverseFrequencies } from '../../model/rope-frequencies';

export type RopeLayout = 'half' | 'interleaved';

const WORKGROUP_SIZE = 256;

function expectShape(kernel: string, role: string, t: Tensor, shape: readonly number[], dtype: DType): void {
  if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new GpuError(`${kernel}: ${role} is ${t}, expected [${shape.join('×')}:${dtype}]`);
  }
}

function rotate(
  kernel: 'rope_forward' | 'rope_backward',
  ctx: GpuContext,
  src: Tensor,
  dst: Tensor,
  positions: Tensor,
  invFreq: Tensor,
  layout: RopeLayout,
): void {
  const [srcRole, dstRole] = kernel === 'rope_forward' ? ['x', 'out'] : ['dOut', 'dX'];
  if (src.shape.length !== 3) throw new GpuError(`${kernel}: ${srcRole} ${src} must be [T, H, D]`);
  const [tokens, heads, headDim] = src.shape;
  if (headDim % 2 !== 0) throw new GpuError(`${kernel}: head dim D must be even, ${srcRole} is ${src}`);
  if (layout !== 'half' && layout !== 'interleaved') throw new GpuError(`${kernel}: unknown layout '${layout}'`);
  expectShape(kernel, srcRole, src, [tokens, heads, headDim], 'f32');
  expectShape(kernel, dstRole, dst, [tokens, heads, headDim], 'f32');
  expectShape(kernel, 'positions', positions, [tokens], 'u32');
  expectShape(kernel, 'invFreq', invFreq, [headDim / 2], 'f32');
  const inPlace = src.buffer === dst.buffer;
  for (const t of [positions, invFreq]) {
    if (t.buffer === dst.buffer) throw new GpuError(`${kernel}: ${dstRole} ${dst} shares a buffer with ${t}`);
  }
  const constants = {
    WORKGROUP_SIZE,
    INTERLEAVED: Number(layout === 'interleaved'),
    INVERSE: Number(kernel === 'rope_backward'),
  };
  const entryPoint = inPlace ? 'main_inplace' : 'main';
  const pipeline = ctx.kernel({ name: 'rope_forward', code: ropeForwardWgsl, entryPoint, constants });
  const params = new Params().u32(tokens).u32(heads).u32(headDim / 2);
  const bindings = inPlace ? [positions, invFreq, dst] : [positions, invFreq, src, dst];
  ctx.dispatch(pipeline, params, bindings, linearGrid((tokens * heads * headDim) / 2, WORKGROUP_SIZE));
}

/** out = rotate(x, +θ). x, out [T, H, D] (out may be x); positions [T] u32; invFreq [D/2]. */
export function ropeForward(
  ctx: GpuContext,
  x: Tensor,
  out: Tensor,
  positions: Tensor,
  invFreq: Tensor,
  layout: RopeLayout,
): void {
  rotate('rope_forward', ctx, x, out, positions, invFreq, layout);
}

/** dX = rotate(dOut, −θ). dOut, dX [T, H, D] (dX may be dOut); positions [T] u32; invFreq [D/2]. */
export function ropeBackward(
  ctx: GpuContext,
  dOut: Tensor,
  dX: Tensor,
  positions: Tensor,
  invFreq: Tensor,
  layout: RopeLayout,
): void {
  rotate('rope_backward', ctx, dOut, dX, positions, invFreq, layout);
}
