/**
 * SwiGLU, the gate of the Llama MLP: out = silu(gate) · up, elementwise.
 *
 * Shapes: gate, up, out, dOut, dGate, dUp [T, F] f32 (F = the MLP's hidden width). Outputs must not share a
 * buffer with any other argument (WebGPU refuses a buffer bound writable and readable in one dispatch).
 */
import swigluBackwardWgsl from '../../shaders/swiglu_backward.wgsl?raw';
import swigluForwardWgsl from '../../shaders/swiglu_forward.wgsl?raw';
import linearGridWgsl from '../../shaders/linear_grid.wgsl?raw';
import sigmoidWgsl from '../../shaders/sigmoid.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { spliceWgsl } from './splice';

const FORWARD_WGSL = spliceWgsl(swigluForwardWgsl, sigmoidWgsl, linearGridWgsl);
const BACKWARD_WGSL = spliceWgsl(swigluBackwardWgsl, sigmoidWgsl, linearGridWgsl);

const WORKGROUP_SIZE = 256;

/** Checks that every tensor is f32 with gate's shape and that no output shares a buffer; returns T·F. */
function check(kernel: string, roles: Record<string, Tensor>, outputs: string[]): number {
  const [first, ...rest] = Object.entries(roles);
  const shape = first[1].shape;
  if (shape.length !== 2) throw new GpuError(`${kernel}: ${first[0]} ${first[1]} must be [T, F]`);
  for (const [role, t] of [first, ...rest]) {
    if (t.dtype !== 'f32' || t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
      throw new GpuError(`${kernel}: ${role} is ${t}, expected [${shape.join('×')}:f32]`);
    }
  }
  for (const out of outputs) {
    for (const [role, t] of Object.entries(roles)) {
      if (role !== out && t.buffer === roles[out].buffer) {
        throw new GpuError(`${kernel}: ${out} ${roles[out]} shares a buffer with ${role} ${t}`);
      }
    }
  }
  return shape[0] * shape[1];
}

/** out = silu(gate) · up. gate, up, out [T, F]. */
export function swigluForward(ctx: GpuContext, gate: Tensor, up: Tensor, out: Tensor): void {
  const n = check('swiglu_forward', { gate, up, out }, ['out']);
  const kernel = ctx.kernel({ name: 'swiglu_forward', code: FORWARD_WGSL, constants: { WORKGROUP_SIZE } });
  ctx.dispatch(kernel, new Params().u32(n), [gate, up, out], linearGrid(n, WORKGROUP_SIZE));
}

/** dGate = dOut · up · silu'(gate), dUp = dOut · silu(gate). gate, up, dOut, dGate, dUp [T, F]. */
export function swigluBackward(
  ctx: GpuContext,
  gate: Tensor,
  up: Tensor,
  dOut: Tensor,
  dGate: Tensor,
  dUp: Tensor,
): void {
  const n = check('swiglu_backward', { gate, up, dOut, dGate, dUp }, ['dGate', 'dUp']);
  const kernel = ctx.kernel({ name: 'swiglu_backward', code: BACKWARD_WGSL, constants: { WORKGROUP_SIZE } });
  ctx.dispatch(kernel, new Params().u32(n), [gate, up, dOut, dGate, dUp], linearGrid(n, WORKGROUP_SIZE));
}
