/**
 * CPU references for matmul_quant.ts: dequantize W with the CPU decoder (model/quant/dequantize.ts), then the
 * float64 products of matmul.ref.ts. Shapes as in matmul_quant.ts; W rows [rowOffset, rowOffset + n).
 */
import { dequantize } from '../../model/quant/dequantize';
import type { QuantFormat } from '../../model/quant/formats';
import { matmulBackwardInputRef, matmulForwardRef } from './matmul.ref';

export interface QuantizedHostWeight {
  format: QuantFormat;
  /** [N_total, K] */
  shape: readonly [number, number];
  bytes: Uint8Array;
}

export function dequantizeWeight(w: QuantizedHostWeight): Float32Array {
  return dequantize(w.format, w.bytes, w.shape[0] * w.shape[1]);
}

/** Y [M,N] = scale · X [M,K] · W[rows]ᵀ + bias[rows] + residual, in float64. */
export function matmulForwardQuantRef(
  x: ArrayLike<number>,
  w: QuantizedHostWeight,
  m: number,
  n: number,
  opts: { bias?: ArrayLike<number>; residual?: ArrayLike<number>; scale?: number; rowOffset?: number } = {},
): Float64Array {
  return matmulForwardRef(x, dequantizeWeight(w), m, n, w.shape[1], opts);
}

/** dX [M,K] = scale · dY [M,N] · W[rows], in float64. */
export function matmulBackwardInputQuantRef(
  dy: ArrayLike<number>,
  w: QuantizedHostWeight,
  m: number,
  n: number,
  scale = 1,
  rowOffset = 0,
): Float64Array {
  return matmulBackwardInputRef(dy, dequantizeWeight(w), m, n, w.shape[1], scale, rowOffset);
}
