/**
 * Weight formats webtune keeps as stored, in memory and on the GPU, decoded inside the matmul kernels: four GGML
 * block formats (read from GGUF files), NF4 (QLoRA's 4-bit NormalFloat, made by `quantizeNf4` when loading
 * safetensors), and the 16-bit floats F16 and BF16 (GGUF and safetensors), which are not quantized but are read
 * the same way: packed two to a word and widened in the kernel, so a 16-bit base takes its file's size.
 * Every format stores a row of K values as K / blockSize consecutive blocks of `blockBytes` bytes; for the
 * 16-bit formats a "block" is 32 values, the depth of one step of the tiled kernels, so K must be a multiple of 32.
 */
import { ggmlType, type GgmlTypeName } from '../ggml-types';

export type QuantFormat = 'q8_0' | 'q4_0' | 'q4_k' | 'q6_k' | 'nf4' | 'f16' | 'bf16';

export interface QuantLayout {
  format: QuantFormat;
  /** Elements per block. */
  blockSize: number;
  /** Bytes per block in the file/host layout (GGML's `block_*` structs; NF4 as in nf4.ts). */
  blockBytes: number;
  /** The GGML type this format is, if any. */
  ggml?: GgmlTypeName;
}

function fromGgml(format: QuantFormat, name: GgmlTypeName): QuantLayout {
  const t = ggmlType(name);
  return { format, blockSize: t.blockSize, blockBytes: t.typeSize, ggml: name };
}

/** NF4: 64 values per block, as in the QLoRA paper; a block is {f32 absmax; u8 codes[32]}. */
export const NF4_BLOCK_SIZE = 64;
export const NF4_BLOCK_BYTES = 4 + NF4_BLOCK_SIZE / 2;

export const QUANT_FORMATS: Readonly<Record<QuantFormat, QuantLayout>> = {
  q8_0: fromGgml('q8_0', 'Q8_0'),
  q4_0: fromGgml('q4_0', 'Q4_0'),
  q4_k: fromGgml('q4_k', 'Q4_K'),
  q6_k: fromGgml('q6_k', 'Q6_K'),
  nf4: { format: 'nf4', blockSize: NF4_BLOCK_SIZE, blockBytes: NF4_BLOCK_BYTES },
  f16: { format: 'f16', blockSize: 32, blockBytes: 64, ggml: 'F16' },
  bf16: { format: 'bf16', blockSize: 32, blockBytes: 64, ggml: 'BF16' },
};

/** The 16-bit float formats: no scales, each value its own two bytes. */
export function isFloat16Format(format: QuantFormat): format is 'f16' | 'bf16' {
  return format === 'f16' || format === 'bf16';
}

export function isQuantFormat(value: string): value is QuantFormat {
  return Object.prototype.hasOwnProperty.call(QUANT_FORMATS, value);
}

/** The quantized format a GGML tensor type maps to, or undefined when webtune does not keep it quantized. */
export function quantFormatOfGgml(name: GgmlTypeName): QuantFormat | undefined {
  return Object.values(QUANT_FORMATS).find((l) => l.ggml === name)?.format;
}

/** Host bytes for `elements` values; throws a RangeError when `elements` is not a whole number of blocks. */
export function quantByteSize(format: QuantFormat, elements: number): number {
  const { blockSize, blockBytes } = QUANT_FORMATS[format];
  if (!Number.isInteger(elements) || elements < 0 || elements % blockSize !== 0) {
    throw new RangeError(`${format}: ${elements} values is not a whole number of ${blockSize}-value blocks`);
  }
  return (elements / blockSize) * blockBytes;
}
