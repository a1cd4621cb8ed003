/**
 * Streaming GGUF v2/v3 reader: parses the header, metadata and tensor infos through a chunked cursor and checks every
 * count, length and offset against the file size before using it, so a corrupt file is a ModelFormatError, never a
 * huge allocation or a hang. Tensor data is read later, one tensor at a time (`readTensorBytes`).
 * Numeric arrays are decoded with the platform's byte order, little-endian on every browser and Node target.
 */
import { ModelFormatError } from '../errors';
import { ggmlByteSize, ggmlTypeById } from '../ggml-types';
import type { ByteSource } from '../source';
import { ByteCursor } from './cursor';
import { GgufMetadata } from './metadata';
import {
  FIXED_SIZE,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  type GgufArray,
  type GgufArrayValue,
  type GgufEntry,
  type GgufFile,
  type GgufScalar,
  type GgufTensorInfo,
  GgufValueType,
  ggufValueTypeName,
  isGgufValueType,
} from './types';

export interface ReadGgufOptions {
  /**
   * Refuse tensors of GGML types webtune cannot compute with (default true). Turn off to inspect metadata
   * (e.g. only the tokenizer) of a file quantized with other types.
   */
  requireSupportedTypes?: boolean;
}

const MAX_ARRAY_NESTING = 4;
const MAX_DIMS = 4;
// Smallest possible encodings, used to refuse counts the rest of the file cannot hold before looping over them.
const MIN_KV_BYTES = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;
const MIN_ARRAY_BYTES = 4 + 8;

export async function readGguf(source: ByteSource, options: ReadGgufOptions = {}): Promise<GgufFile> {
  const strict = options.requireSupportedTypes ?? true;
  const cur = new ByteCursor(source);
  if (source.size < 24) cur.fail(`only ${source.size} bytes: too small to be a GGUF file`);
  await cur.need(24);
  const magic = cur.u32();
  if (magic !== GGUF_MAGIC) {
    const hex = [0, 1, 2, 3].map((i) => ((magic >>> (8 * i)) & 0xff).toString(16).padStart(2, '0')).join(' ');
    cur.fail(`not a GGUF file (magic bytes ${hex}, expected 47 47 55 46 "GGUF")`);
  }
  const version = cur.u32();
  if (version === 0x02000000 || version === 0x03000000) cur.fail('big-endian GGUF files are not supported');
  if (version !== 2 && version !== 3) cur.fail(`GGUF version ${version} is not supported (only 2 and 3)`);
  const tensorCount = cur.u64('tensor count');
  const kvCount = cur.u64('metadata count');
  if (kvCount * MIN_KV_BYTES > cur.remaining) cur.fail(`metadata count ${kvCount} cannot fit in the rest of the file`);

  const entries = new Map<string, GgufEntry>();
  for (let i = 0; i < kvCount; i++) {
    cur.context = `metadata entry ${i}`;
    const key = await cur.string('key');
    cur.context = `metadata key '${key}'`;
    if (entries.has(key)) cur.fail('key appears twice');
    if (cur.available() < 4) await cur.need(4);
    const type = cur.u32();
    entries.set(key, await readEntry(cur, type));
  }
  const metadata = new GgufMetadata(source.name, entries);
  const alignment = readAlignment(metadata, source.name);

  cur.context = 'tensor infos';
  if (tensorCount * MIN_TENSOR_INFO_BYTES > cur.remaining) {
    cur.fail(`tensor count ${tensorCount} cannot fit in the rest of the file`);
  }
  const infos: Omit<GgufTensorInfo, 'fileOffset'>[] = [];
  for (let i = 0; i < tensorCount; i++) {
    cur.context = `tensor info ${i}`;
    const name = await cur.string('name');
    cur.context = `tensor '${name}'`;
    infos.push(await readTensorInfo(cur, name, strict));
  }
  const dataOffset = alignUp(cur.pos, alignment);
  const tensors = placeTensors(source, infos, dataOffset, alignment);
  const tensorByName = new Map<string, GgufTensorInfo>();
  for (const t of tensors) {
    if (tensorByName.has(t.name)) throw new ModelFormatError(source.name, `tensor '${t.name}' appears twice`);
    tensorByName.set(t.name, t);
  }
  return { source, version, alignment, dataOffset, metadata, tensors, tensorByName };
}

/**
 * The raw (possibly quantized) bytes of one tensor, or of a byte range inside it (to upload a large embedding in
 * slices).
 */
export async function readTensorBytes(
  file: GgufFile,
  tensor: GgufTensorInfo,
  range: { offset: number; length: number } = { offset: 0, length: tensor.byteSize },
): Promise<Uint8Array> {
  if (range.offset < 0 || range.length < 0 || range.offset + range.length > tensor.byteSize) {
    throw new ModelFormatError(
      file.source.name,
      `byte range ${range.offset}+${range.length} is outside tensor '${tensor.name}' (${tensor.byteSize} bytes)`,
    );
  }
  return file.source.read(tensor.fileOffset + range.offset, range.length);
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function readAlignment(metadata: GgufMetadata, file: string): number {
  const alignment = metadata.optionalInteger('general.alignment') ?? GGUF_DEFAULT_ALIGNMENT;
  if (alignment <= 0 || alignment > 1 << 30 || (alignment & (alignment - 1)) !== 0) {
    throw new ModelFormatError(file, `general.alignment ${alignment} is not a power of two`);
  }
  return alignment;
}

async function readEntry(cur: ByteCursor, type: number): Promise<GgufEntry> {
  if (!isGgufValueType(type)) cur.fail(`unknown value type ${type}`);
  if (type === GgufValueType.Array) return { type, value: await readArray(cur, 0) };
  return { type, value: await readScalar(cur, type) };
}

async function readScalar(cur: ByteCursor, type: Exclude<GgufValueType, GgufValueType.Array>): Promise<GgufScalar> {
  if (type === GgufValueType.String) return cur.string('string value');
  const size = FIXED_SIZE[type]!;
  if (cur.available() < size) await cur.need(size);
  switch (type) {
    case GgufValueType.Uint8:
      return cur.u8();
    case GgufValueType.Int8:
      return cur.i8();
    case GgufValueType.Uint16:
      return cur.u16();
    case GgufValueType.Int16:
      return cur.i16();
    case GgufValueType.Uint32:
      return cur.u32();
    case GgufValueType.Int32:
      return cur.i32();
    case GgufValueType.Float32:
      return cur.f32();
    case GgufValueType.Float64:
      return cur.f64();
    case GgufValueType.Bool:
      return cur.u8() !== 0;
    case GgufValueType.Uint64:
      return safeNumber(cur.u64big());
    case GgufValueType.Int64:
      return safeNumber(cur.i64big());
  }
}

function safeNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

async function readArray(cur: ByteCursor, depth: number): Promise<GgufArray> {
  if (cur.available() < MIN_ARRAY_BYTES) await cur.need(MIN_ARRAY_BYTES);
  const elementType = cur.u32();
  const count = cur.u64('array length');
  if (!isGgufValueType(elementType)) cur.fail(`array has unknown element type ${elementType}`);
  const elementSize =
    FIXED_SIZE[elementType] ?? (elementType === GgufValueType.String ? 8 : MIN_ARRAY_BYTES);
  if (count * elementSize > cur.remaining) {
    cur.fail(`array<${ggufValueTypeName(elementType)}> of ${count} elements runs past the end of the file`);
  }
  if (elementType === GgufValueType.String) {
    const values: string[] = new Array(count);
    for (let i = 0; i < count; i++) values[i] = cur.stringIfAvailable() ?? (await cur.string(`string ${i}`));
    return { elementType, values };
  }
  if (elementType === GgufValueType.Array) {
    if (depth + 1 >= MAX_ARRAY_NESTING) cur.fail(`arrays nested more than ${MAX_ARRAY_NESTING} deep`);
    const values: GgufArray[] = [];
    for (let i = 0; i < count; i++) values.push(await readArray(cur, depth + 1));
    return { elementType, values };
  }
  await cur.need(count * elementSize);
  return { elementType, values: typedArray(elementType, cur.bytes(count * elementSize)) };
}

/** `bytes` is a fresh copy (offset 0), so every typed view below is aligned. */
function typedArray(type: GgufValueType, bytes: Uint8Array): GgufArrayValue {
  const b = bytes.buffer as ArrayBuffer;
  switch (type) {
    case GgufValueType.Uint8:
      return bytes;
    case GgufValueType.Int8:
      return new Int8Array(b);
    case GgufValueType.Uint16:
      return new Uint16Array(b);
    case GgufValueType.Int16:
      return new Int16Array(b);
    case GgufValueType.Uint32:
      return new Uint32Array(b);
    case GgufValueType.Int32:
      return new Int32Array(b);
    case GgufValueType.Float32:
      return new Float32Array(b);
    case GgufValueType.Float64:
      return new Float64Array(b);
    case GgufValueType.Uint64:
      return new BigUint64Array(b);
    case GgufValueType.Int64:
      return new BigInt64Array(b);
    case GgufValueType.Bool:
      return Array.from(bytes, (x) => x !== 0);
    default:
      throw new Error(`unreachable: array of ${ggufValueTypeName(type)}`);
  }
}

async function readTensorInfo(
  cur: ByteCursor,
  name: string,
  strict: boolean,
): Promise<Omit<GgufTensorInfo, 'fileOffset'>> {
  if (cur.available() < 4) await cur.need(4);
  const nDims = cur.u32();
  if (nDims < 1 || nDims > MAX_DIMS) cur.fail(`${nDims} dimensions (1 to ${MAX_DIMS})`);
  await cur.need(nDims * 8 + 12);
  const dims: number[] = [];
  for (let d = 0; d < nDims; d++) dims.push(cur.u64(`dimension ${d}`));
  const typeId = cur.u32();
  const offset = cur.u64('data offset');
  const type = ggmlTypeById(typeId);
  if (!type) cur.fail(`unknown GGML type id ${typeId}`);
  if (strict && !type.supported) {
    cur.fail(`GGML type ${type.name} is not supported by webtune (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)`);
  }
  const elementCount = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(elementCount)) cur.fail(`dimensions [${dims.join(', ')}] are not plausible`);
  if (nDims > 0 && dims[0] % type.blockSize !== 0) {
    cur.fail(`row length ${dims[0]} is not a multiple of ${type.name}'s block size ${type.blockSize}`);
  }
  const byteSize = ggmlByteSize(type, elementCount);
  return { name, dims, shape: [...dims].reverse(), type, offset, byteSize, elementCount };
}

function placeTensors(
  source: ByteSource,
  infos: Omit<GgufTensorInfo, 'fileOffset'>[],
  dataOffset: number,
  alignment: number,
): GgufTensorInfo[] {
  const tensors = infos.map((t) => {
    if (t.offset % alignment !== 0) {
      throw new ModelFormatError(source.name, `tensor '${t.name}' offset ${t.offset} is not aligned to ${alignment}`);
    }
    const fileOffset = dataOffset + t.offset;
    if (fileOffset + t.byteSize > source.size) {
      throw new ModelFormatError(
        source.name,
        `tensor '${t.name}' (${t.byteSize} bytes at data offset ${t.offset}) runs past the end of the file ` +
          `(${source.size} bytes, data starts at ${dataOffset})`,
      );
    }
    return { ...t, fileOffset };
  });
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].offset < prev.offset + prev.byteSize) {
      throw new ModelFormatError(source.name, `tensors '${prev.name}' and '${sorted[i].name}' overlap`);
    }
  }
  return tensors;
}
