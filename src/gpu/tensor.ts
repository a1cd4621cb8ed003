/** Element types a tensor may hold on the GPU. `q` types are opaque quantized blocks read by kernels. */
export type DType = 'f32' | 'f16' | 'u32' | 'i32';

export const BYTES_PER_ELEMENT: Record<DType, number> = { f32: 4, f16: 2, u32: 4, i32: 4 };

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A GPU buffer with a shape and a dtype. Row-major; the last dimension is contiguous.
 * The buffer may be larger than the tensor (pooled buffers are rounded up), never smaller.
 * A tensor may also be a view into part of a larger buffer at `byteOffset` (a multiple of 256, WebGPU's storage
 * binding alignment): many small tensors (LoRA matrices, their gradients) then live in one buffer that a single
 * optimizer dispatch can update whole.
 */
export class Tensor {
  constructor(
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly label: string,
    readonly byteOffset = 0,
  ) {}

  /** The same memory seen with another shape of at most the same size. */
  view(shape: readonly number[], label = this.label): Tensor {
    if (elementCount(shape) > this.size) {
      throw new RangeError(`view [${shape.join('×')}] is larger than ${this}`);
    }
    return new Tensor(this.buffer, shape, this.dtype, label, this.byteOffset);
  }

  get size(): number {
    return elementCount(this.shape);
  }

  get byteSize(): number {
    return this.size * BYTES_PER_ELEMENT[this.dtype];
  }

  toString(): string {
    return `${this.label}[${this.shape.join('×')}:${this.dtype}]`;
  }
}
