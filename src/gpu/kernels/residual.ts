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

const FORWARD_WGSL = spliceWgsl(residualForwardWgsl, linearGridWgsl);
const INPLACE_WGSL = spliceWgsl(residualForwardInplaceWgsl, linearGridWgsl);

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
  const kernel = ctx.kernel({ name: 'residual_forward', code: FORWARD_WGSL, constants: { WORKGROUP_SIZE } });
  ctx.dispatch(kernel, new Params().u32(n), [a, b, out], linearGrid(n, WORKGROUP_SIZE));
}

/** acc += x. acc, x: [N]. Used for the residual stream and to accumulate gradients. */
export function residualAccumulate(ctx: GpuContext, acc: Tensor, x: Tensor): void {
  const n = checkSameSize('residual_forward_inplace', acc, x);
  const kernel = ctx.kernel({
    name: 'residual_forward_inplace',
    code: INPLACE_WGSL,
    constants: { WORKGROUP_SIZE },
  });
  ctx.dispatch(kernel, new Params().u32(n), [acc, x], linearGrid(n, WORKGROUP_SIZE));
}
