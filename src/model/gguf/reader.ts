/**
 * Streaming GGUF v2/v3 reader: parses the header, metadata and tensor infos through a chunked cursor and checks every
 * count, length and offset against the file size before using it, so a corrupt file is a ModelFormatError, never a
 * huge allocation or a hang. Tensor data is read later, one tensor at a time (`readTensorBytes`).
 * Numeric arrays are decoded with the platform's byte order, little-endian on every browser and Node target.
 */
import { ModelFormatError } from '../errors';
import { ggmlByteSize, ggmlTypeById } from '../ggml-types';
import type { ByteSource } from '../source';
import { refuseOverlaps } from '../tensor-extent';
import { ByteCursor } from './cursor';
import { GgufMetadata } from './metadata';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  type GgufArray,
  type GgufEntry,
  type GgufFile,
  type GgufScalar,
  type GgufTensorInfo,
  GgufValueType,
  ggufValueType,
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

export { readTensorBytes } from '../tensor-extent';

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
  const { fixed } = ggufValueType(type);
  if (!fixed) return cur.string('string value');
  if (cur.available() < fixed.size) await cur.need(fixed.size);
  const value = cur.fixed(fixed);
  return typeof value === 'bigint' ? safeNumber(value) : value;
}

function safeNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

async function readArray(cur: ByteCursor, depth: number): Promise<GgufArray> {
  if (cur.available() < MIN_ARRAY_BYTES) await cur.need(MIN_ARRAY_BYTES);
  const elementType = cur.u32();
  const count = cur.u64('array length');
  if (!isGgufValueType(elementType)) cur.fail(`array has unknown element type ${elementType}`);
  const { fixed } = ggufValueType(elementType);
  const elementSize = fixed?.size ?? (elementType === GgufValueType.String ? 8 : MIN_ARRAY_BYTES);
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
  // `bytes` is a fresh copy (offset 0), so every typed view of its buffer is aligned.
  return { elementType, values: fixed!.array(cur.bytes(count * elementSize).buffer as ArrayBuffer) };
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
  refuseOverlaps(source.name, tensors);
  return tensors;
}
