/**
 * safetensors writer (PEFT-style adapter export, merged weights, test fixtures). The JSON header is padded with
 * spaces to a multiple of 8 bytes so every tensor starts 8-byte aligned, as the reference implementation does.
 * Returns parts (header, then each tensor's bytes) for `new Blob(parts)` without one big copy.
 */
import { DTYPE_BYTES, type SafetensorsDtype } from './types';

export interface SafetensorsWriteTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}

export function encodeSafetensors(
  tensors: SafetensorsWriteTensor[],
  metadata: Record<string, string> = {},
): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== expected) {
      throw new RangeError(`safetensors writer: '${t.name}' has ${t.data.byteLength} bytes, ${t.dtype} [${t.shape}] needs ${expected}`);
    }
    if (t.name in header) throw new RangeError(`safetensors writer: '${t.name}' given twice`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + expected] };
    offset += expected;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  return [prefix, json, ...tensors.map((t) => t.data)];
}
