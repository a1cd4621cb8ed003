/**
 * safetensors reader: one small read for the header, every entry checked against the file size and its dtype and
 * shape before use; tensor bytes are read one tensor at a time.
 */
import { ModelFormatError } from '../errors';
import type { ByteSource } from '../source';
import { refuseOverlaps } from '../tensor-extent';
import {
  DTYPE_BYTES,
  type SafetensorsDtype,
  type SafetensorsFile,
  type SafetensorsTensorInfo,
  SUPPORTED_DTYPES,
} from './types';

/** The format's own limit; a larger length is corruption, and refusing it avoids a huge allocation. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export async function readSafetensors(source: ByteSource): Promise<SafetensorsFile> {
  const fail = (problem: string): never => {
    throw new ModelFormatError(source.name, problem);
  };
  if (source.size < 8) fail(`only ${source.size} bytes: too small to be a safetensors file`);
  const lengthBytes = await source.read(0, 8);
  const view = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLength = hi * 2 ** 32 + lo;
  if (hi !== 0 || headerLength > MAX_HEADER_BYTES) {
    fail(`header length ${view.getBigUint64(0, true)} is implausible (not a safetensors file, or corrupt)`);
  }
  if (headerLength > source.size - 8) {
    fail(`header length ${headerLength} runs past the end of the file (${source.size} bytes)`);
  }
  const dataOffset = 8 + headerLength;
  const dataSize = source.size - dataOffset;

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await source.read(8, headerLength)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) metadata[k] = String(v);
      continue;
    }
    tensors.push(parseEntry(name, entry, dataOffset, dataSize, fail));
  }

  refuseOverlaps(source.name, tensors);
  return { source, dataOffset, metadata, tensors, tensorByName: new Map(tensors.map((t) => [t.name, t])) };
}

function parseEntry(
  name: string,
  entry: unknown,
  dataOffset: number,
  dataSize: number,
  fail: (problem: string) => never,
): SafetensorsTensorInfo {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (typeof e !== 'object' || e === null) fail(`tensor '${name}' entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = e;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`);
  if (!SUPPORTED_DTYPES.includes(dtype as SafetensorsDtype)) {
    fail(`tensor '${name}' has dtype ${dtype}, which webtune does not support (${SUPPORTED_DTYPES.join(', ')})`);
  }
  const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataSize) {
    fail(`tensor '${name}' data_offsets [${begin}, ${end}] are outside the data section (${dataSize} bytes)`);
  }
  const elementCount = (shape as number[]).reduce((a, b) => a * b, 1);
  const byteSize = elementCount * DTYPE_BYTES[dtype];
  if (byteSize !== end - begin) {
    fail(`tensor '${name}' of ${dtype} [${shape}] needs ${byteSize} bytes but data_offsets span ${end - begin}`);
  }
  return {
    name,
    dtype: dtype as SafetensorsDtype,
    shape: shape as number[],
    offset: begin,
    fileOffset: dataOffset + begin,
    byteSize,
    elementCount,
  };
}

export { readTensorBytes as readSafetensorsTensorBytes } from '../tensor-extent';
