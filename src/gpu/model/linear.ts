/**
 * A frozen linear layer (nn.Linear layout, W [out, in]) whose weight is either a dense f32 tensor or quantized
 * blocks that the matmul kernels dequantize on the fly. Everything above this file is format-agnostic: a
 * quantized model is a weight format the kernels read, not a fork of the engine.
 */
import type { GpuContext } from '../context';
import { matmulBackwardInput, matmulForward, type RowSlice } from '../kernels/matmul';
import type { Tensor } from '../tensor';

export interface LinearLayer {
  weight: Tensor;
  bias?: Tensor;
  /** Rows of W (output features) and columns (input features). */
  outFeatures: number;
  inFeatures: number;
}

export function linearLayer(weight: Tensor, bias?: Tensor): LinearLayer {
  return { weight, bias, outFeatures: weight.shape[0], inFeatures: weight.shape[1] };
}

/** y [T, out] = x [T, in] · Wᵀ + bias (+ residual [T, out]). */
export function linearForward(
  ctx: GpuContext,
  layer: LinearLayer,
  x: Tensor,
  y: Tensor,
  options: { residual?: Tensor; wRows?: RowSlice } = {},
): void {
  matmulForward(ctx, x, layer.weight, y, { bias: layer.bias, ...options });
}

/** dx [T, in] (+)= dy [T, out] · W. */
export function linearBackwardInput(
  ctx: GpuContext,
  layer: LinearLayer,
  dy: Tensor,
  dx: Tensor,
  options: { accumulate?: boolean } = {},
): void {
  matmulBackwardInput(ctx, dy, layer.weight, dx, options);
}

/** A view of the first `rows` rows of a [R, ...] tensor, sharing its buffer (bindings start at offset 0). */
export function leadingRows(t: Tensor, rows: number): Tensor {
  return t.view([rows, ...t.shape.slice(1)]);
}

/** The same buffer seen with another shape of equal or smaller size. */
export function reshaped(t: Tensor, shape: readonly number[]): Tensor {
  return t.view(shape);
}
