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

/** A fixed-size value as it sits in the file: its little-endian accessors and the typed array its arrays become. */
export interface FixedLayout {
  size: number;
  get(view: DataView, at: number): number | bigint | boolean;
  set(view: DataView, at: number, value: number | bigint | boolean): void;
  array(buffer: ArrayBuffer): GgufArrayValue;
}

export interface GgufValueTypeInfo {
  /** As messages name it ("uint32", "array"). */
  name: string;
  kind: 'integer' | 'float' | 'bool' | 'string' | 'array';
  /** Fixed-size types only: strings and arrays have a variable length. */
  fixed?: FixedLayout;
}

type TypedArrayOf = { new (buffer: ArrayBuffer): GgufArrayValue; BYTES_PER_ELEMENT: number };

function numeric(
  name: string,
  kind: 'integer' | 'float',
  array: TypedArrayOf,
  get: FixedLayout['get'],
  set: FixedLayout['set'],
): GgufValueTypeInfo {
  return { name, kind, fixed: { size: array.BYTES_PER_ELEMENT, get, set, array: (b) => new array(b) } };
}

/** Every value type's facts in one row, so the reader, the writer and the typed metadata getters cannot disagree. */
const VALUE_TYPES: Record<GgufValueType, GgufValueTypeInfo> = {
  [GgufValueType.Uint8]: numeric('uint8', 'integer', Uint8Array, (v, at) => v.getUint8(at), (v, at, x) => v.setUint8(at, Number(x))),
  [GgufValueType.Int8]: numeric('int8', 'integer', Int8Array, (v, at) => v.getInt8(at), (v, at, x) => v.setInt8(at, Number(x))),
  [GgufValueType.Uint16]: numeric('uint16', 'integer', Uint16Array, (v, at) => v.getUint16(at, true), (v, at, x) => v.setUint16(at, Number(x), true)),
  [GgufValueType.Int16]: numeric('int16', 'integer', Int16Array, (v, at) => v.getInt16(at, true), (v, at, x) => v.setInt16(at, Number(x), true)),
  [GgufValueType.Uint32]: numeric('uint32', 'integer', Uint32Array, (v, at) => v.getUint32(at, true), (v, at, x) => v.setUint32(at, Number(x), true)),
  [GgufValueType.Int32]: numeric('int32', 'integer', Int32Array, (v, at) => v.getInt32(at, true), (v, at, x) => v.setInt32(at, Number(x), true)),
  [GgufValueType.Float32]: numeric('float32', 'float', Float32Array, (v, at) => v.getFloat32(at, true), (v, at, x) => v.setFloat32(at, Number(x), true)),
  [GgufValueType.Bool]: {
    name: 'bool',
    kind: 'bool',
    // One byte, 0 or 1.
    fixed: {
      size: 1,
      get: (v, at) => v.getUint8(at) !== 0,
      set: (v, at, x) => v.setUint8(at, x ? 1 : 0),
      array: (b) => Array.from(new Uint8Array(b), (x) => x !== 0),
    },
  },
  [GgufValueType.String]: { name: 'string', kind: 'string' },
  [GgufValueType.Array]: { name: 'array', kind: 'array' },
  [GgufValueType.Uint64]: numeric('uint64', 'integer', BigUint64Array, (v, at) => v.getBigUint64(at, true), (v, at, x) => v.setBigUint64(at, BigInt(x), true)),
  [GgufValueType.Int64]: numeric('int64', 'integer', BigInt64Array, (v, at) => v.getBigInt64(at, true), (v, at, x) => v.setBigInt64(at, BigInt(x), true)),
  [GgufValueType.Float64]: numeric('float64', 'float', Float64Array, (v, at) => v.getFloat64(at, true), (v, at, x) => v.setFloat64(at, Number(x), true)),
};

export function ggufValueType(type: GgufValueType): GgufValueTypeInfo {
  return VALUE_TYPES[type];
}

export function ggufValueTypeName(type: GgufValueType): string {
  return VALUE_TYPES[type]?.name ?? `unknown(${type})`;
}

export function isGgufValueType(n: number): n is GgufValueType {
  return Number.isInteger(n) && n >= 0 && n <= 12;
}

/** Integer and float types: what a metadata getter asking for a number accepts. */
export function isGgufNumeric(type: GgufValueType): boolean {
  const { kind } = VALUE_TYPES[type];
  return kind === 'integer' || kind === 'float';
}
