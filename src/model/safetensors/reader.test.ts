import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { f32ToBf16Bytes, f32ToF16Bytes, floatBytesToF32 } from '../dtype';
import { type ByteSource, bytesSource, concatBytes } from '../source';
import { fileSource } from '../source-node';
import { formatRefusal } from '../testing/format-refusal';
import { readSafetensors, readSafetensorsTensorBytes } from './reader';
import type { SafetensorsFile } from './types';
import { encodeSafetensors, type SafetensorsWriteTensor } from './writer';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));

describe('stories260K model.safetensors', () => {
  let source: ByteSource;
  let file: SafetensorsFile;
  beforeAll(async () => {
    source = await fileSource(`${MODELS}stories260K/hf/model.safetensors`);
    file = await readSafetensors(source);
  });
  afterAll(() => source.close?.());

  it('lists 47 F32 tensors with HF names and row-major shapes', () => {
    expect(file.tensors).toHaveLength(47);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.dataOffset).toBe(8 + 4856);
    const shape = (n: string) => file.tensorByName.get(n)?.shape;
    expect(shape('model.embed_tokens.weight')).toEqual([512, 64]);
    expect(shape('model.norm.weight')).toEqual([64]);
    expect(shape('model.layers.4.self_attn.k_proj.weight')).toEqual([32, 64]);
    expect(shape('model.layers.0.mlp.down_proj.weight')).toEqual([64, 172]);
    expect(shape('model.layers.0.mlp.gate_proj.weight')).toEqual([172, 64]);
    expect(shape('lm_head.weight')).toBeUndefined();
    expect(file.tensors.every((t) => t.dtype === 'F32' && t.byteSize === 4 * t.elementCount)).toBe(true);
    const end = Math.max(...file.tensors.map((t) => t.fileOffset + t.byteSize));
    expect(end).toBe(source.size);
  });

  it('reads a tensor and a range of it', async () => {
    const norm = file.tensorByName.get('model.norm.weight')!;
    const bytes = await readSafetensorsTensorBytes(file, norm);
    expect(bytes.byteLength).toBe(256);
    const values = floatBytesToF32(bytes, 'F32');
    expect(values.every((v) => Number.isFinite(v) && v !== 0)).toBe(true);
    expect(await readSafetensorsTensorBytes(file, norm, { offset: 8, length: 8 })).toEqual(bytes.subarray(8, 16));
    await expect(readSafetensorsTensorBytes(file, norm, { offset: 250, length: 8 })).rejects.toThrow(/outside tensor/);
  });
});

const TENSORS: SafetensorsWriteTensor[] = [
  { name: 'a', dtype: 'F32', shape: [2, 3], data: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) },
  { name: 'b.half', dtype: 'F16', shape: [3], data: f32ToF16Bytes([0.5, -1, 2]) },
  { name: 'c.bf', dtype: 'BF16', shape: [1, 1, 1], data: f32ToBf16Bytes([3]) },
  { name: 'empty', dtype: 'F32', shape: [0, 4], data: new Uint8Array(0) },
];

describe('safetensors writer → reader round trip', () => {
  it('keeps dtypes, shapes, data and metadata; aligns the data to 8 bytes', async () => {
    const bytes = concatBytes(encodeSafetensors(TENSORS, { format: 'pt', note: 'webtune' }));
    const file = await readSafetensors(bytesSource(bytes, 'rt.safetensors'));
    expect(file.dataOffset % 8).toBe(0);
    expect(file.metadata).toEqual({ format: 'pt', note: 'webtune' });
    for (const t of TENSORS) {
      const info = file.tensorByName.get(t.name)!;
      expect([info.dtype, info.shape]).toEqual([t.dtype, t.shape]);
      expect(await readSafetensorsTensorBytes(file, info)).toEqual(t.data);
    }
    expect([...floatBytesToF32(await readSafetensorsTensorBytes(file, file.tensorByName.get('b.half')!), 'F16')]).toEqual([
      0.5, -1, 2,
    ]);
  });

  it('refuses to write data that does not match its shape', () => {
    expect(() => encodeSafetensors([{ ...TENSORS[0], shape: [7] }])).toThrow(/'a' has 24 bytes, F32 \[7\] needs 28/);
  });
});

/** A file with a hand-written header, for entries the writer would never produce. */
function withHeader(header: unknown, dataBytes = 64): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  return concatBytes([prefix, json, new Uint8Array(dataBytes)]);
}

async function refusal(bytes: Uint8Array): Promise<string> {
  return (await formatRefusal(readSafetensors(bytesSource(bytes, 'bad.safetensors')), 'bad.safetensors')).message;
}

describe('corrupt safetensors files are refused with a specific error', () => {
  const entry = (over: object) => ({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16], ...over } });

  it('header length past the end, implausible, or not JSON', async () => {
    expect(await refusal(new Uint8Array(5))).toMatch(/only 5 bytes/);
    const good = concatBytes(encodeSafetensors(TENSORS));
    const long = good.slice();
    new DataView(long.buffer).setUint32(0, good.byteLength, true);
    expect(await refusal(long)).toMatch(/header length \d+ runs past the end of the file/);
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(4, 1, true);
    expect(await refusal(huge)).toMatch(/header length 4294967\d+ is implausible/);
    expect(await refusal(withHeader('{"w": '))).toMatch(/header is not valid UTF-8 JSON/);
    expect(await refusal(withHeader('[1, 2]'))).toMatch(/header is not a JSON object/);
    const badUtf8 = withHeader('{"\u00e9": 1}');
    badUtf8[10] = 0xff;
    expect(await refusal(badUtf8)).toMatch(/not valid UTF-8 JSON/);
  });

  it('every truncation is an error', async () => {
    const good = concatBytes(encodeSafetensors(TENSORS.slice(0, 3)));
    for (let cut = 0; cut < good.byteLength; cut++) await refusal(good.slice(0, cut));
  });

  it('unknown and unsupported dtypes name the tensor', async () => {
    expect(await refusal(withHeader(entry({ dtype: 'F7' })))).toMatch(/tensor 'w' has unknown dtype "F7"/);
    expect(await refusal(withHeader(entry({ dtype: 'I64', shape: [2] })))).toMatch(
      /tensor 'w' has dtype I64, which webtune does not support \(F32, F16, BF16\)/,
    );
  });

  it('offsets out of range, sizes that disagree with the shape, overlaps, malformed entries', async () => {
    expect(await refusal(withHeader(entry({ data_offsets: [60, 76] })))).toMatch(
      /tensor 'w' data_offsets \[60, 76\] are outside the data section \(64 bytes\)/,
    );
    expect(await refusal(withHeader(entry({ data_offsets: [16, 0] })))).toMatch(/outside the data section/);
    expect(await refusal(withHeader(entry({ shape: [5] })))).toMatch(/F32 \[5\] needs 20 bytes but data_offsets span 16/);
    expect(await refusal(withHeader({ ...entry({}), v: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }))).toMatch(
      /tensors 'w' and 'v' overlap/,
    );
    expect(await refusal(withHeader(entry({ shape: [-4] })))).toMatch(/invalid shape \[-4\]/);
    expect(await refusal(withHeader(entry({ data_offsets: [0] })))).toMatch(/invalid data_offsets \[0\]/);
    expect(await refusal(withHeader({ w: 3 }))).toMatch(/tensor 'w' entry is not an object/);
    expect(await refusal(withHeader({ __metadata__: 'x' }))).toMatch(/__metadata__ is not an object/);
  });
});
