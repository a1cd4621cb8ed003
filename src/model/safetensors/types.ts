/**
 * safetensors, as Hugging Face checkpoints ship: a u64 (little-endian) header length N, N bytes of UTF-8 JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }`, then the data;
 * offsets are relative to the start of the data (8 + N). Shapes are row-major ([out, in] for a linear weight).
 */
import type { ByteSource } from '../source';

/** The float types webtune reads; any other dtype in a file is refused with the tensor's name. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

export const SUPPORTED_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16'];

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Relative to the data section. */
  offset: number;
  /** Absolute byte position in the file. */
  fileOffset: number;
  byteSize: number;
  elementCount: number;
}

export interface SafetensorsFile {
  source: ByteSource;
  /** Absolute position of the data section (8 + header length). */
  dataOffset: number;
  metadata: Record<string, string>;
  tensors: SafetensorsTensorInfo[];
  tensorByName: Map<string, SafetensorsTensorInfo>;
}
