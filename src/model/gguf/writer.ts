/**
 * GGUF v3 writer: webtune exports LoRA adapters as GGUF (llama.cpp's `--lora` format) and the tests build small and
 * deliberately corrupt files with it. The output is a list of parts (header, then each tensor's bytes and padding)
 * so a large file goes into `new Blob(parts)` without one big copy.
 */
import { ggmlByteSize, ggmlType, type GgmlTypeName } from '../ggml-types';
import {
  type FixedLayout,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  type GgufArray,
  type GgufArrayValue,
  type GgufEntry,
  type GgufScalar,
  GgufValueType,
  ggufValueType,
} from './types';

export interface GgufWriteTensor {
  name: string;
  /** Row-major ([rows, columns] for 2-D); written reversed as ggml's ne. */
  shape: number[];
  type: GgmlTypeName;
  data: Uint8Array;
}

export interface GgufWriteInput {
  metadata: Iterable<[string, GgufEntry]>;
  tensors: GgufWriteTensor[];
  /** Written as `general.alignment` when not the default 32. */
  alignment?: number;
}

type Scalar<T extends GgufScalar> = (v: T) => GgufEntry;
const scalar =
  <T extends GgufScalar>(type: Exclude<GgufValueType, GgufValueType.Array>): Scalar<T> =>
  (value) => ({ type, value }) as GgufEntry;

/** Builders for metadata values with an explicit GGUF type. */
export const gguf = {
  u8: scalar<number>(GgufValueType.Uint8),
  i8: scalar<number>(GgufValueType.Int8),
  u16: scalar<number>(GgufValueType.Uint16),
  i16: scalar<number>(GgufValueType.Int16),
  u32: scalar<number>(GgufValueType.Uint32),
  i32: scalar<number>(GgufValueType.Int32),
  f32: scalar<number>(GgufValueType.Float32),
  f64: scalar<number>(GgufValueType.Float64),
  u64: scalar<number | bigint>(GgufValueType.Uint64),
  i64: scalar<number | bigint>(GgufValueType.Int64),
  bool: scalar<boolean>(GgufValueType.Bool),
  string: scalar<string>(GgufValueType.String),
  array: (elementType: GgufValueType, values: GgufArrayValue): GgufEntry => ({
    type: GgufValueType.Array,
    value: { elementType, values },
  }),
  strings: (values: string[]): GgufEntry => gguf.array(GgufValueType.String, values),
};

const U32 = ggufValueType(GgufValueType.Uint32).fixed!;
const U64 = ggufValueType(GgufValueType.Uint64).fixed!;

class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private static encoder = new TextEncoder();

  private reserve(n: number): number {
    if (this.length + n > this.buf.byteLength) {
      const grown = new Uint8Array(Math.max(this.buf.byteLength * 2, this.length + n));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  fixed(layout: FixedLayout, v: number | bigint | boolean): void {
    const at = this.reserve(layout.size);
    // After `reserve`, which may replace the buffer and its view.
    layout.set(this.view, at, v);
  }

  u32 = (v: number) => this.fixed(U32, v);
  u64 = (v: number | bigint) => this.fixed(U64, v);

  string(s: string): void {
    const bytes = ByteWriter.encoder.encode(s);
    this.u64(bytes.byteLength);
    const at = this.reserve(bytes.byteLength);
    this.buf.set(bytes, at);
  }

  pad(alignment: number): void {
    this.reserve((alignment - (this.length % alignment)) % alignment);
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeScalar(w: ByteWriter, type: GgufValueType, v: GgufScalar): void {
  // `?.`: a deliberately corrupt test file may carry any number as its type.
  const fixed = ggufValueType(type)?.fixed;
  if (fixed) return w.fixed(fixed, v as number | bigint | boolean);
  if (type !== GgufValueType.String) throw new RangeError(`GGUF writer: ${type} is not a scalar type`);
  w.string(v as string);
}

function writeArray(w: ByteWriter, a: GgufArray): void {
  w.u32(a.elementType);
  w.u64(a.values.length);
  if (a.elementType === GgufValueType.Array) {
    for (const inner of a.values as GgufArray[]) writeArray(w, inner);
    return;
  }
  if (!ggufValueType(a.elementType)?.fixed && a.elementType !== GgufValueType.String) {
    throw new RangeError(`GGUF writer: unknown array element type ${a.elementType}`);
  }
  const values = a.values as ArrayLike<GgufScalar>;
  for (let i = 0; i < values.length; i++) writeScalar(w, a.elementType, values[i]);
}

export function encodeGguf(input: GgufWriteInput): Uint8Array[] {
  const given = [...input.metadata];
  const declared = given.find(([k]) => k === 'general.alignment')?.[1].value;
  const alignment = input.alignment ?? (typeof declared === 'number' ? declared : GGUF_DEFAULT_ALIGNMENT);
  const metadata = given.filter(([k]) => k !== 'general.alignment');
  if (alignment !== GGUF_DEFAULT_ALIGNMENT) metadata.push(['general.alignment', gguf.u32(alignment)]);

  const offsets: number[] = [];
  let dataSize = 0;
  for (const t of input.tensors) {
    const expected = ggmlByteSize(ggmlType(t.type), t.shape.reduce((a, b) => a * b, 1));
    if (t.data.byteLength !== expected) {
      throw new RangeError(`GGUF writer: tensor '${t.name}' has ${t.data.byteLength} bytes, ${t.type} [${t.shape}] needs ${expected}`);
    }
    offsets.push(dataSize);
    dataSize += Math.ceil(expected / alignment) * alignment;
  }

  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(3);
  w.u64(input.tensors.length);
  w.u64(metadata.length);
  for (const [key, entry] of metadata) {
    w.string(key);
    w.u32(entry.type);
    if (entry.type === GgufValueType.Array) writeArray(w, entry.value);
    else writeScalar(w, entry.type, entry.value);
  }
  input.tensors.forEach((t, i) => {
    w.string(t.name);
    w.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) w.u64(d);
    w.u32(ggmlType(t.type).id);
    w.u64(offsets[i]);
  });
  w.pad(alignment);

  const parts = [w.bytes()];
  for (const t of input.tensors) {
    parts.push(t.data);
    const pad = (alignment - (t.data.byteLength % alignment)) % alignment;
    if (pad) parts.push(new Uint8Array(pad));
  }
  return parts;
}
