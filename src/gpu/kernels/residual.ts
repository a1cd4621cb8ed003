/**
 * Residual connection. Forward: out = a + b, all [N] (any shape, same size). Backward is the identity on
 * both inputs: the upstream gradient is passed on unchanged, or accumulated with `residualAccumulate`.
 */
import residualForwardWgsl from '../../shaders/residual_forward.wgsl?raw';
import residualForwardInplaceWgsl from '../../shaders/residual_forward_inplace.wgsl?raw';
import linearGridWgsl from '../../shaders/linear_grid.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { spliceWgsl } from './splice';

/** The kernel over vec4s when n is a multiple of 4 (every hidden size we meet), else over single values. */
function elementwise(code: string, n: number): { code: string; count: number; suffix: string } {
  const vec = n % 4 === 0;
  const alias = `alias ELEMENT = ${vec ? 'vec4<f32>' : 'f32'};`;
  return { code: spliceWgsl(alias, code, linearGridWgsl), count: vec ? n / 4 : n, suffix: vec ? '_vec4' : '' };
}

const WORKGROUP_SIZE = 256;

function checkSameSize(kernel: string, ...tensors: Tensor[]): number {
  const n = tensors[0].size;
  for (const t of tensors) {
    if (t.dtype !== 'f32') throw new GpuError(`${kernel}: ${t} must be f32`);
    if (t.size !== n) throw new GpuError(`${kernel}: sizes differ: ${tensors.map(String).join(', ')}`);
  }
  return n;
}

/** out = a + b. a, b, out: [N]. */
export function residualForward(ctx: GpuContext, a: Tensor, b: Tensor, out: Tensor): void {
  const n = checkSameSize('residual_forward', a, b, out);
  const k = elementwise(residualForwardWgsl, n);
  const kernel = ctx.kernel({ name: `residual_forward${k.suffix}`, code: k.code, constants: { WORKGROUP_SIZE } });
  ctx.dispatch(kernel, new Params().u32(k.count), [a, b, out], linearGrid(k.count, WORKGROUP_SIZE));
}

/** acc += x. acc, x: [N]. Used for the residual stream and to accumulate gradients. */
export function residualAccumulate(ctx: GpuContext, acc: Tensor, x: Tensor): void {
  const n = checkSameSize('residual_forward_inplace', acc, x);
  const k = elementwise(residualForwardInplaceWgsl, n);
  const kernel = ctx.kernel({
    name: `residual_forward_inplace${k.suffix}`,
    code: k.code,
    constants: { WORKGROUP_SIZE },
  });
  ctx.dispatch(kernel, new Params().u32(k.count), [acc, x], linearGrid(k.count, WORKGROUP_SIZE));
}
