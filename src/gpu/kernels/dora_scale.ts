/**
 * DoRA's magnitude scale for one adapted projection (Liu et al. 2024; PEFT's DoraLinearLayer): the norm of every
 * adapted row n_j = ‖W_j + s·B_j·A‖ of a frozen weight in any format the engine reads (dense f32 or a stored
 * format, dequantized in the kernel), and from it m/n, 1/n and n, into `out` at three strides of
 * `doraScaleStride(N)` floats (each a 256-byte-aligned view, see `doraScaleViews`). The norm is detached (a
 * constant of the step), as in the paper and PEFT, so the kernel has no backward.
 *
 * Shapes: W [N, K]; a [r, K]; b [N, r]; magnitude [N]; out [3·stride] f32.
 */
import doraScaleWgsl from '../../shaders/dora_scale_forward.wgsl?raw';
import doraWeightsF32Wgsl from '../../shaders/dora_weights_f32.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { ceilDiv } from '../grid';
import { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { isQuantizedWeight, weightDecoderWgsl, type QuantizedWeight } from './matmul_quant';
import { spliceWgsl } from './splice';

const WORKGROUP_SIZE = 64;
/** Floats per 256 bytes, WebGPU's storage binding offset alignment. */
const ALIGN_FLOATS = 64;

/** Floats between the three vectors of `out`: N rounded up to a 256-byte boundary, so each is a bindable view. */
export function doraScaleStride(n: number): number {
  return Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS;
}

/** The three [N] vectors of a dora_scale output: g = m/n, 1/n, and n. */
export function doraScaleViews(out: Tensor, n: number): { g: Tensor; invNorm: Tensor; norm: Tensor } {
  const stride = doraScaleStride(n);
  const at = (i: number, what: string) => new Tensor(out.buffer, [n], 'f32', `${out.label}.${what}`, out.byteOffset + i * stride * 4);
  return { g: at(0, 'g'), invNorm: at(1, 'inv_norm'), norm: at(2, 'norm') };
}

export interface DoraScaleInputs {
  weight: Tensor | QuantizedWeight;
  a: Tensor;
  b: Tensor;
  scale: number;
  magnitude: Tensor;
  out: Tensor;
}

export function doraScale(ctx: GpuContext, inputs: DoraScaleInputs): void {
  const { weight, a, b, scale, magnitude, out } = inputs;
  const name = isQuantizedWeight(weight) ? `dora_scale_${weight.format}` : 'dora_scale_f32';
  const [n, k] = weight.shape;
  const r = a.shape[0];
  const expect = (role: string, t: Tensor, shape: number[]) => {
    if (t.dtype !== 'f32' || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new GpuError(`${name}: ${role} is ${t}, expected [${shape.join('×')}:f32]`);
    }
  };
  if (a.shape.length !== 2) throw new GpuError(`${name}: a ${a} must be [r, K]`);
  expect('a', a, [r, k]);
  expect('b', b, [n, r]);
  expect('magnitude', magnitude, [n]);
  const stride = doraScaleStride(n);
  if (out.dtype !== 'f32' || out.size < 3 * stride) throw new GpuError(`${name}: out ${out} must hold ${3 * stride} f32 values`);
  for (const [role, t] of [['a', a], ['b', b], ['magnitude', magnitude]] as const) {
    if (t.buffer === out.buffer) throw new GpuError(`${name}: out ${out} shares a buffer with ${role} ${t}`);
  }
  if (!Number.isFinite(scale)) throw new GpuError(`${name}: scale ${scale} is not finite`);
  if (n === 0) return;
  const decoder = isQuantizedWeight(weight) ? weightDecoderWgsl(weight.format) : doraWeightsF32Wgsl;
  const kernel = ctx.kernel({ name, code: spliceWgsl(doraScaleWgsl, decoder), constants: { WORKGROUP_SIZE } });
  const parts = isQuantizedWeight(weight)
    ? weight.parts.map((p) => ({ rowStart: p.rowStart, rows: p.rows, q: p.q, s: p.s }))
    : [{ rowStart: 0, rows: n, q: weight, s: weight }];
  for (const part of parts) {
    const params = new Params().u32(part.rows).u32(k).u32(r).u32(part.rowStart).u32(stride).f32(scale);
    ctx.dispatch(kernel, params, [a, part.q, part.s, b, magnitude, out], [ceilDiv(part.rows, WORKGROUP_SIZE), 1]);
  }
}
