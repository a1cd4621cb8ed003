/**
 * Where a tensor's bytes lie in its file, and the two checks on it that GGUF and safetensors share: a range read
 * stays inside the tensor, and no two tensors of one file overlap.
 */
import { ModelFormatError } from './errors';
import type { ByteSource } from './source';

export interface TensorExtent {
  name: string;
  /** Relative to the file's data section. */
  offset: number;
  /** Absolute byte position in the file. */
  fileOffset: number;
  byteSize: number;
}

/**
 * The raw (possibly quantized, little-endian) bytes of one tensor of a GGUF or safetensors file, or of a byte range
 * inside it (to upload a large embedding in slices).
 */
export async function readTensorBytes(
  file: { source: ByteSource },
  tensor: TensorExtent,
  range: { offset: number; length: number } = { offset: 0, length: tensor.byteSize },
): Promise<Uint8Array> {
  const { source } = file;
  if (range.offset < 0 || range.length < 0 || range.offset + range.length > tensor.byteSize) {
    throw new ModelFormatError(
      source.name,
      `byte range ${range.offset}+${range.length} is outside tensor '${tensor.name}' (${tensor.byteSize} bytes)`,
    );
  }
  return source.read(tensor.fileOffset + range.offset, range.length);
}

/** Refuses a file whose tensors overlap, naming the first two that do. */
export function refuseOverlaps(file: string, tensors: readonly TensorExtent[]): void {
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].offset < prev.offset + prev.byteSize) {
      throw new ModelFormatError(file, `tensors '${prev.name}' and '${sorted[i].name}' overlap`);
    }
  }
}
