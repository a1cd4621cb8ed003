import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors';
import { ggmlByteSize, ggmlType, type GgmlTypeName } from '../ggml-types';
import { type ByteSource, bytesSource, concatBytes } from '../source';
import { fileSource } from '../source-node';
import { readGguf, readTensorBytes } from './reader';
import { afterString, patched, u32, u64 } from './test-bytes';
import { formatRefusal } from '../testing/format-refusal';
import { type GgufFile, GgufValueType } from './types';
import { encodeGguf, gguf, type GgufWriteTensor } from './writer';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));

describe('stories260K.gguf', () => {
  let source: ByteSource;
  let file: GgufFile;
  beforeAll(async () => {
    source = await fileSource(`${MODELS}stories260K/stories260K.gguf`);
    file = await readGguf(source);
  });
  afterAll(() => source.close?.());

  it('has the metadata of a llama model with its tokenizer', () => {
    const m = file.metadata;
    expect(file.version).toBe(3);
    expect(file.alignment).toBe(32);
    expect(m.keys()).toHaveLength(19);
    expect(m.string('general.architecture')).toBe('llama');
    expect(m.integer('llama.block_count')).toBe(5);
    expect(m.integer('llama.embedding_length')).toBe(64);
    expect(m.integer('llama.feed_forward_length')).toBe(172);
    expect(m.integer('llama.attention.head_count')).toBe(8);
    expect(m.integer('llama.attention.head_count_kv')).toBe(4);
    expect(m.integer('llama.context_length')).toBe(2048);
    expect(m.number('llama.attention.layer_norm_rms_epsilon')).toBe(Math.fround(1e-5));
    expect(m.string('tokenizer.ggml.model')).toBe('llama');
    expect(m.integer('tokenizer.ggml.bos_token_id')).toBe(1);
    expect(m.integer('tokenizer.ggml.eos_token_id')).toBe(2);
    expect(m.integer('tokenizer.ggml.unknown_token_id')).toBe(0);
    const tokens = m.stringArray('tokenizer.ggml.tokens');
    expect(tokens).toHaveLength(512);
    expect(tokens.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(m.numberArray('tokenizer.ggml.scores')).toBeInstanceOf(Float32Array);
    expect(m.numberArray('tokenizer.ggml.scores')).toHaveLength(512);
    expect(Array.from(m.numberArray('tokenizer.ggml.token_type')).slice(0, 4)).toEqual([2, 3, 3, 6]);
  });

  it('names the key and the types when metadata is missing or of another type', () => {
    const m = file.metadata;
    expect(() => m.integer('llama.rope.freq_base')).toThrow("stories260K.gguf: metadata key 'llama.rope.freq_base' is missing");
    expect(m.optionalNumber('llama.rope.freq_base')).toBeUndefined();
    expect(() => m.string('llama.block_count')).toThrow(/'llama.block_count' is uint32, expected string/);
    expect(() => m.stringArray('tokenizer.ggml.scores')).toThrow(/is array<float32>\[512\], expected array<string>/);
    expect(() => m.integer('general.name')).toThrow(/expected an integer/);
  });

  it('lists all 48 tensors with ggml dims, row-major shapes, types and offsets', () => {
    const expected: [string, number[]][] = [
      ['token_embd.weight', [512, 64]],
      ['output_norm.weight', [64]],
      ['output.weight', [512, 64]],
    ];
    for (let l = 0; l < 5; l++) {
      expected.push(
        [`blk.${l}.attn_q.weight`, [64, 64]],
        [`blk.${l}.attn_k.weight`, [32, 64]],
        [`blk.${l}.attn_v.weight`, [32, 64]],
        [`blk.${l}.attn_output.weight`, [64, 64]],
        [`blk.${l}.attn_norm.weight`, [64]],
        [`blk.${l}.ffn_gate.weight`, [172, 64]],
        [`blk.${l}.ffn_down.weight`, [64, 172]],
        [`blk.${l}.ffn_up.weight`, [172, 64]],
        [`blk.${l}.ffn_norm.weight`, [64]],
      );
    }
    expect(file.tensors.map((t) => [t.name, t.shape])).toEqual(expected);
    for (const t of file.tensors) {
      expect(t.type.name).toBe('F32');
      expect(t.dims).toEqual([...t.shape].reverse());
      expect(t.byteSize).toBe(4 * t.elementCount);
      expect(t.fileOffset).toBe(file.dataOffset + t.offset);
    }
    expect(file.tensorByName.get('blk.0.ffn_down.weight')!.dims).toEqual([172, 64]);
    expect(file.dataOffset).toBe(14176);
    const last = file.tensors[47];
    expect(last.fileOffset + last.byteSize).toBe(source.size);
  });

  it('reads tensor bytes, whole and by range', async () => {
    const embd = file.tensorByName.get('token_embd.weight')!;
    const bytes = await readTensorBytes(file, embd);
    expect(bytes.byteLength).toBe(512 * 64 * 4);
    // This file's output.weight is a copy of the embedding.
    expect(Buffer.compare(await readTensorBytes(file, file.tensorByName.get('output.weight')!), bytes)).toBe(0);
    const row3 = await readTensorBytes(file, embd, { offset: 3 * 256, length: 256 });
    expect(row3).toEqual(bytes.subarray(768, 1024));
    const values = new Float32Array(bytes.slice().buffer);
    expect(values.every(Number.isFinite)).toBe(true);
    await expect(readTensorBytes(file, embd, { offset: 131000, length: 100 })).rejects.toThrow(
      /byte range 131000\+100 is outside tensor 'token_embd.weight'/,
    );
  });
});

function bytesOf(type: GgmlTypeName, shape: number[], fill = 7): Uint8Array {
  const n = ggmlByteSize(ggmlType(type), shape.reduce((a, b) => a * b, 1));
  return Uint8Array.from({ length: n }, (_, i) => (i * fill + 3) & 0xff);
}

const SUPPORTED: GgufWriteTensor[] = [
  { name: 'f32', shape: [3, 5], type: 'F32', data: bytesOf('F32', [3, 5]) },
  { name: 'f16', shape: [2, 4], type: 'F16', data: bytesOf('F16', [2, 4]) },
  { name: 'bf16', shape: [7], type: 'BF16', data: bytesOf('BF16', [7]) },
  { name: 'q8_0', shape: [2, 64], type: 'Q8_0', data: bytesOf('Q8_0', [2, 64]) },
  { name: 'q4_0', shape: [1, 32], type: 'Q4_0', data: bytesOf('Q4_0', [1, 32]) },
  { name: 'q4_k', shape: [2, 256], type: 'Q4_K', data: bytesOf('Q4_K', [2, 256]) },
  { name: 'q6_k', shape: [1, 1, 256], type: 'Q6_K', data: bytesOf('Q6_K', [1, 1, 256]) },
];

describe('GGUF writer → reader round trip', () => {
  it('keeps every metadata value type, nested arrays, custom alignment and every supported tensor type', async () => {
    const metadata = [
      ['u8', gguf.u8(255)],
      ['i8', gguf.i8(-128)],
      ['u16', gguf.u16(65535)],
      ['i16', gguf.i16(-32768)],
      ['u32', gguf.u32(0xffffffff)],
      ['i32', gguf.i32(-5)],
      ['f32', gguf.f32(1.5)],
      ['f64', gguf.f64(Math.PI)],
      ['bool', gguf.bool(true)],
      ['str', gguf.string('héllo ✓ 日本')],
      ['u64.small', gguf.u64(42)],
      ['u64.big', gguf.u64(2n ** 60n + 1n)],
      ['i64', gguf.i64(-3)],
      ['arr.str', gguf.strings(['a', '', 'Ġthe', 'é', 'x'.repeat(100), '日本語'.repeat(20)])],
      ['arr.f32', gguf.array(GgufValueType.Float32, Float32Array.of(0.5, -1))],
      ['arr.i32', gguf.array(GgufValueType.Int32, Int32Array.of(-1, 2))],
      ['arr.u8', gguf.array(GgufValueType.Uint8, Uint8Array.of(1, 2, 3))],
      ['arr.bool', gguf.array(GgufValueType.Bool, [true, false])],
      ['arr.u64', gguf.array(GgufValueType.Uint64, BigUint64Array.of(1n, 2n ** 63n))],
      ['arr.empty', gguf.array(GgufValueType.String, [])],
      [
        'arr.nested',
        gguf.array(GgufValueType.Array, [
          { elementType: GgufValueType.String, values: ['x', 'y'] },
          { elementType: GgufValueType.Int16, values: Int16Array.of(-7) },
        ]),
      ],
    ] as const;
    const bytes = concatBytes(encodeGguf({ metadata: metadata.map(([k, v]) => [k, v]), tensors: SUPPORTED, alignment: 64 }));
    const file = await readGguf(bytesSource(bytes, 'rt.gguf'));
    const m = file.metadata;
    expect(file.alignment).toBe(64);
    expect(m.integer('general.alignment')).toBe(64);
    for (const [key, entry] of metadata) {
      if (entry.type !== GgufValueType.Array) expect(m.get(key)).toEqual(entry);
    }
    expect(m.stringArray('arr.str')).toEqual(['a', '', 'Ġthe', 'é', 'x'.repeat(100), '日本語'.repeat(20)]);
    expect(Array.from(m.numberArray('arr.f32'))).toEqual([0.5, -1]);
    expect(Array.from(m.numberArray('arr.i32'))).toEqual([-1, 2]);
    expect(m.array('arr.bool').values).toEqual([true, false]);
    expect(m.array('arr.u64').values).toEqual(BigUint64Array.of(1n, 2n ** 63n));
    expect(m.stringArray('arr.empty')).toEqual([]);
    expect(m.array('arr.nested')).toEqual({
      elementType: GgufValueType.Array,
      values: [
        { elementType: GgufValueType.String, values: ['x', 'y'] },
        { elementType: GgufValueType.Int16, values: Int16Array.of(-7) },
      ],
    });
    expect(m.get('u64.big')!.value).toBe(2n ** 60n + 1n);
    expect(file.dataOffset % 64).toBe(0);
    for (const t of SUPPORTED) {
      const info = file.tensorByName.get(t.name)!;
      expect(info.type.name).toBe(t.type);
      expect(info.shape).toEqual(t.shape);
      expect(info.offset % 64).toBe(0);
      expect(await readTensorBytes(file, info)).toEqual(t.data);
    }
  });

  it('writes and reads a vocabulary larger than the writer\'s first buffer and the reader\'s window', async () => {
    // 300k tokens (~5 MB of header): the writer grows its buffer many times and the reader refills its 4 MB window.
    const tokens = Array.from({ length: 300_000 }, (_, i) => (i % 3 === 0 ? `Ġtok${i}` : i % 3 === 1 ? `t${i}` : `日${i}`));
    const scores = Float32Array.from(tokens, (_, i) => -i);
    const bytes = concatBytes(
      encodeGguf({
        metadata: [
          ['tokenizer.ggml.tokens', gguf.strings(tokens)],
          ['tokenizer.ggml.scores', gguf.array(GgufValueType.Float32, scores)],
          ['after', gguf.u32(7)],
        ],
        tensors: SUPPORTED.slice(0, 1),
      }),
    );
    expect(bytes.byteLength).toBeGreaterThan(4 << 20);
    const file = await readGguf(bytesSource(bytes, 'vocab.gguf'));
    const read = file.metadata.stringArray('tokenizer.ggml.tokens');
    expect(read).toHaveLength(tokens.length);
    expect(read.every((t, i) => t === tokens[i])).toBe(true); // (toEqual on 300k entries takes seconds)
    const readScores = file.metadata.numberArray('tokenizer.ggml.scores');
    expect(Array.prototype.every.call(readScores, (v: number, i: number) => v === scores[i])).toBe(true);
    expect(file.metadata.integer('after')).toBe(7);
    expect(await readTensorBytes(file, file.tensors[0])).toEqual(SUPPORTED[0].data);
  });

  it('reads through a Blob the same way', async () => {
    const bytes = concatBytes(encodeGguf({ metadata: [['k', gguf.string('v')]], tensors: SUPPORTED.slice(0, 2) }));
    const { blobSource } = await import('../source');
    const file = await readGguf(blobSource(new Blob([bytes as BlobPart]), 'b.gguf'));
    expect(await readTensorBytes(file, file.tensors[1])).toEqual(SUPPORTED[1].data);
  });
});

/** A small valid file: two metadata entries (one a string array) and two tensors. */
function smallFile(tensors: GgufWriteTensor[] = SUPPORTED.slice(0, 2)): Uint8Array {
  return concatBytes(
    encodeGguf({
      metadata: [
        ['general.architecture', gguf.string('llama')],
        ['tokens', gguf.strings(['a', 'bb', 'ccc'])],
      ],
      tensors,
    }),
  );
}

function refusal(bytes: Uint8Array): Promise<ModelFormatError> {
  return formatRefusal(readGguf(bytesSource(bytes, 'bad.gguf')), 'bad.gguf');
}

describe('corrupt GGUF files are refused with a specific error', () => {
  const good = smallFile();

  it('bad magic, unsupported versions, too small', async () => {
    expect((await refusal(patched(good, 0, new TextEncoder().encode('GGUX')))).message).toMatch(
      /not a GGUF file \(magic bytes 47 47 55 58/,
    );
    expect((await refusal(patched(good, 4, u32(1)))).message).toMatch(/GGUF version 1 is not supported/);
    expect((await refusal(patched(good, 4, u32(4)))).message).toMatch(/GGUF version 4 is not supported/);
    expect((await refusal(patched(good, 4, u32(0x03000000)))).message).toMatch(/big-endian/);
    expect((await refusal(good.slice(0, 10))).message).toMatch(/only 10 bytes/);
  });

  it('every truncation of the header is an error, never a crash', async () => {
    const parsed = await readGguf(bytesSource(good));
    const dataStart = parsed.dataOffset;
    const dataEnd = Math.max(...parsed.tensors.map((t) => t.fileOffset + t.byteSize));
    // Cutting only the padding after the last tensor leaves a valid file.
    expect(await readGguf(bytesSource(good.slice(0, dataEnd)))).toBeTruthy();
    for (let cut = 0; cut < dataEnd; cut += cut < dataStart + 8 ? 1 : 7) {
      const e = await refusal(good.slice(0, cut));
      if (cut >= dataStart) expect(e.message).toMatch(/runs past the end of the file/);
    }
  });

  it('lengths and counts the file cannot hold are refused before allocating', async () => {
    const key = afterString(good, 'general.architecture') + 4; // the string value's length field
    expect((await refusal(patched(good, key, u64(2 ** 40)))).message).toMatch(
      /metadata key 'general.architecture': string value length 1099511627776 runs past the end/,
    );
    expect((await refusal(patched(good, key, u64(2n ** 62n)))).message).toMatch(/is not a plausible size/);
    const arr = afterString(good, 'tokens') + 4 + 4; // after value type and element type
    expect((await refusal(patched(good, arr, u64(1e12)))).message).toMatch(
      /'tokens': array<string> of 1000000000000 elements runs past the end/,
    );
    expect((await refusal(patched(good, 16, u64(1e9)))).message).toMatch(/metadata count 1000000000 cannot fit/);
    expect((await refusal(patched(good, 8, u64(1e9)))).message).toMatch(/tensor count 1000000000 cannot fit/);
  });

  it('unknown value types and duplicate keys', async () => {
    const typeAt = afterString(good, 'general.architecture');
    expect((await refusal(patched(good, typeAt, u32(13)))).message).toMatch(/metadata key 'general.architecture': unknown value type 13/);
    const elemAt = afterString(good, 'tokens') + 4;
    expect((await refusal(patched(good, elemAt, u32(99)))).message).toMatch(/unknown element type 99/);
    const dup = concatBytes(encodeGguf({ metadata: [['a', gguf.u8(1)], ['a', gguf.u8(2)]], tensors: [] }));
    expect((await refusal(dup)).message).toMatch(/metadata key 'a': key appears twice/);
  });

  it('alignment that is not a power of two, or not an integer', async () => {
    const odd = concatBytes(encodeGguf({ metadata: [], tensors: SUPPORTED.slice(0, 1), alignment: 48 }));
    expect((await refusal(odd)).message).toMatch(/general.alignment 48 is not a power of two/);
    const aligned = concatBytes(encodeGguf({ metadata: [['general.alignment', gguf.u32(64)]], tensors: [] }));
    const asFloat = patched(aligned, afterString(aligned, 'general.alignment'), u32(GgufValueType.Float32));
    expect((await refusal(asFloat)).message).toMatch(/'general.alignment' is float32, expected an integer/);
  });

  it('tensor infos: unknown or unsupported types, dims, block sizes', async () => {
    const info = afterString(good, 'f16'); // n_dims u32, ne0 u64, ne1 u64, type u32, offset u64
    expect((await refusal(patched(good, info + 20, u32(99)))).message).toMatch(/tensor 'f16': unknown GGML type id 99/);
    expect((await refusal(patched(good, info, u32(5)))).message).toMatch(/tensor 'f16': 5 dimensions \(1 to 4\)/);
    expect((await refusal(patched(good, info, u32(0)))).message).toMatch(/tensor 'f16': 0 dimensions/);
    const q5k: GgufWriteTensor = { name: 'blk.0.ffn_down.weight', shape: [1, 256], type: 'Q5_K', data: bytesOf('Q5_K', [1, 256]) };
    expect((await refusal(smallFile([q5k]))).message).toMatch(
      /tensor 'blk.0.ffn_down.weight': GGML type Q5_K is not supported by webtune/,
    );
    const lenient = await readGguf(bytesSource(smallFile([q5k])), { requireSupportedTypes: false });
    expect(lenient.tensors[0].type.name).toBe('Q5_K');
    const q8 = smallFile([{ name: 'q', shape: [1, 64], type: 'Q8_0', data: bytesOf('Q8_0', [1, 64]) }]);
    expect((await refusal(patched(q8, afterString(q8, 'q') + 4, u64(48)))).message).toMatch(
      /row length 48 is not a multiple of Q8_0's block size 32/,
    );
  });

  it('tensor offsets: misaligned, past the end, overlapping; duplicate names', async () => {
    const offsetAt = afterString(good, 'f16') + 4 + 16 + 4;
    expect((await refusal(patched(good, offsetAt, u64(4)))).message).toMatch(/tensor 'f16' offset 4 is not aligned to 32/);
    expect((await refusal(patched(good, offsetAt, u64(1 << 20)))).message).toMatch(
      /tensor 'f16' \(16 bytes at data offset 1048576\) runs past the end of the file/,
    );
    expect((await refusal(patched(good, offsetAt, u64(32)))).message).toMatch(/tensors 'f32' and 'f16' overlap/);
    const twice = smallFile([SUPPORTED[0], { ...SUPPORTED[0] }]);
    expect((await refusal(twice)).message).toMatch(/tensor 'f32' appears twice/);
  });

  it('random byte corruption of the header never escapes as anything but a ModelFormatError', async () => {
    const header = (await readGguf(bytesSource(good))).dataOffset;
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let refused = 0;
    for (let trial = 0; trial < 400; trial++) {
      const bytes = good.slice();
      for (let k = 0, flips = 1 + rand(3); k < flips; k++) bytes[rand(header)] = rand(256);
      const outcome = await readGguf(bytesSource(bytes, 'fuzz.gguf')).then(
        () => 'ok',
        (e: unknown) => e,
      );
      if (outcome !== 'ok') {
        expect(outcome).toBeInstanceOf(ModelFormatError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
  });
});
