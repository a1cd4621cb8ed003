/**
 * GGUF (llama.cpp's model file) as webtune sees it. Layout of a v2/v3 file, all little-endian:
 *
 *   magic "GGUF" | version u32 | tensor_count u64 | kv_count u64
 *   kv_count × (key: string, value_type u32, value)          string = u64 byte length + UTF-8 bytes
 *   tensor_count × (name: string, n_dims u32, ne[n_dims] u64, ggml_type u32, offset u64)
 *   padding to `general.alignment` (default 32), then the tensor data; each offset is relative to that point.
 *
 * Dimensions `ne` are innermost-first, as in ggml: ne[0] is the number of columns (contiguous elements), ne[1] the
 * rows. `shape` is the same in row-major order (PyTorch/safetensors order): [ne1, ne0] for a 2-D weight, so a
 * linear layer's weight is [out_features, in_features] in both formats.
 */
import type { GgmlType } from '../ggml-types';
import type { ByteSource } from '../source';
import type { GgufMetadata } from './metadata';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;

export enum GgufValueType {
  Uint8 = 0,
  Int8 = 1,
  Uint16 = 2,
  Int16 = 3,
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  Uint64 = 10,
  Int64 = 11,
  Float64 = 12,
}

/** Numeric arrays decode to typed arrays (a 150k-entry score table is one copy), strings to string[]. */
export type GgufArrayValue =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array
  | boolean[]
  | string[]
  | GgufArray[];

/** An array value keeps its element type so it can be written back unchanged. */
export interface GgufArray {
  elementType: GgufValueType;
  values: GgufArrayValue;
}

/** 64-bit integers are numbers when they fit in 2^53, bigints otherwise. */
export type GgufScalar = number | bigint | boolean | string;

export type GgufEntry =
  | { type: Exclude<GgufValueType, GgufValueType.Array>; value: GgufScalar }
  | { type: GgufValueType.Array; value: GgufArray };

export interface GgufTensorInfo {
  name: string;
  /** ggml order, innermost first: ne[0] = columns. */
  dims: number[];
  /** Row-major order (dims reversed): [rows, columns] for 2-D. */
  shape: number[];
  type: GgmlType;
  /** Relative to the file's data section. */
  offset: number;
  /** Absolute byte position in the file. */
  fileOffset: number;
  byteSize: number;
  elementCount: number;
}

export interface GgufFile {
  source: ByteSource;
  version: number;
  alignment: number;
  /** Absolute position of the data section (end of the tensor infos, aligned). */
  dataOffset: number;
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  tensorByName: Map<string, GgufTensorInfo>;
}

const TYPE_NAMES: Record<GgufValueType, string> = {
  [GgufValueType.Uint8]: 'uint8',
  [GgufValueType.Int8]: 'int8',
  [GgufValueType.Uint16]: 'uint16',
  [GgufValueType.Int16]: 'int16',
  [GgufValueType.Uint32]: 'uint32',
  [GgufValueType.Int32]: 'int32',
  [GgufValueType.Float32]: 'float32',
  [GgufValueType.Bool]: 'bool',
  [GgufValueType.String]: 'string',
  [GgufValueType.Array]: 'array',
  [GgufValueType.Uint64]: 'uint64',
  [GgufValueType.Int64]: 'int64',
  [GgufValueType.Float64]: 'float64',
};

export function ggufValueTypeName(type: GgufValueType): string {
  return TYPE_NAMES[type] ?? `unknown(${type})`;
}

export function isGgufValueType(n: number): n is GgufValueType {
  return Number.isInteger(n) && n >= 0 && n <= 12;
}

/** Byte size of fixed-size scalar types; strings and arrays are variable. */
export const FIXED_SIZE: Partial<Record<GgufValueType, number>> = {
  [GgufValueType.Uint8]: 1,
  [GgufValueType.Int8]: 1,
  [GgufValueType.Bool]: 1,
  [GgufValueType.Uint16]: 2,
  [GgufValueType.Int16]: 2,
  [GgufValueType.Uint32]: 4,
  [GgufValueType.Int32]: 4,
  [GgufValueType.Float32]: 4,
  [GgufValueType.Uint64]: 8,
  [GgufValueType.Int64]: 8,
  [GgufValueType.Float64]: 8,
};
