/**
 * A frozen linear layer (nn.Linear layout, W [out, in]) whose weight is either a dense f32 tensor or quantized
 * blocks that the matmul kernels dequantize on the fly. Everything above this file is format-agnostic: a
 * quantized model is a weight format the kernels read, not a fork of the engine.
 */
import type { GpuContext } from '../context';
import { matmulBackwardInput, matmulForward, type LowRankTerm, type RowSlice } from '../kernels/matmul';
import {
  matmulBackwardInputQuant,
  matmulForwardQuant,
  releaseQuantized,
  type QuantizedWeight,
} from '../kernels/matmul_quant';
import { Tensor } from '../tensor';

export type FrozenWeight = Tensor | QuantizedWeight;

export interface LinearLayer {
  weight: FrozenWeight;
  bias?: Tensor;
  /** Rows of W (output features) and columns (input features). */
  outFeatures: number;
  inFeatures: number;
}

export function linearLayer(weight: FrozenWeight, bias?: Tensor): LinearLayer {
  return { weight, bias, outFeatures: weight.shape[0], inFeatures: weight.shape[1] };
}

/**
 * y [T, out] = x [T, in] · Wᵀ + bias (+ residual [T, out]) (+ lowRank.scale · u·Bᵀ, a LoRA path, added by the
 * base product's own dispatch as r more steps of its reduction, dense or quantized).
 */
export function linearForward(
  ctx: GpuContext,
  layer: LinearLayer,
  x: Tensor,
  y: Tensor,
  options: { residual?: Tensor; wRows?: RowSlice; lowRank?: LowRankTerm } = {},
): void {
  const w = layer.weight;
  if (w instanceof Tensor) matmulForward(ctx, x, w, y, { bias: layer.bias, ...options });
  else matmulForwardQuant(ctx, x, w, y, { bias: layer.bias, ...options });
}

/** dx [T, in] (+)= dy [T, out] · W (+ lowRank.scale · du·A, LoRA's share, fused as in the forward). */
export function linearBackwardInput(
  ctx: GpuContext,
  layer: LinearLayer,
  dy: Tensor,
  dx: Tensor,
  options: { accumulate?: boolean; lowRank?: LowRankTerm } = {},
): void {
  const w = layer.weight;
  if (w instanceof Tensor) matmulBackwardInput(ctx, dy, w, dx, options);
  else matmulBackwardInputQuant(ctx, dy, w, dx, options);
}

/** GPU bytes of the layer's weight and bias. */
export function linearBytes(layer: LinearLayer): number {
  return layer.weight.byteSize + (layer.bias?.byteSize ?? 0);
}

export function releaseFrozen(ctx: GpuContext, weight: FrozenWeight): void {
  if (weight instanceof Tensor) ctx.release(weight);
  else releaseQuantized(ctx, weight);
}

export function releaseLinear(ctx: GpuContext, layer: LinearLayer): void {
  releaseFrozen(ctx, layer.weight);
  if (layer.bias) ctx.release(layer.bias);
}

/** A view of the first `rows` rows of a [R, ...] tensor, sharing its buffer. */
export function leadingRows(t: Tensor, rows: number): Tensor {
  return t.view([rows, ...t.shape.slice(1)]);
}
