import { describe, expect, it } from 'vitest';
import { dequantize, q4kScaleMin } from './dequantize';
import { QUANT_FORMATS, quantByteSize, quantFormatOfGgml } from './formats';
import { floatToHalf, halfToFloat } from './half';
import { NF4_CODE } from './nf4-code';

/**
 * Blocks built byte by byte with values worked out by hand from ggml's dequantize_row_* (ggml-quants.c),
 * so the layout is pinned to the published format rather than to our own quantizer.
 */
function block(bytes: number, fill = 0): Uint8Array {
  return new Uint8Array(bytes).fill(fill);
}

describe('f16 scales', () => {
  it('converts exactly, rounding to nearest even', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(0.1)).toBe(0x2e66);
    expect(floatToHalf(-65504)).toBe(0xfbff);
    expect(floatToHalf(70000)).toBe(0x7c00);
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to the even mantissa
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    for (let h = 0; h < 0x7c00; h += 7) expect(floatToHalf(halfToFloat(h))).toBe(h);
  });
});

describe('formats', () => {
  it('take their block sizes from the GGML type table', () => {
    expect(QUANT_FORMATS.q4_k).toMatchObject({ blockSize: 256, blockBytes: 144 });
    expect(QUANT_FORMATS.q6_k).toMatchObject({ blockSize: 256, blockBytes: 210 });
    expect(QUANT_FORMATS.nf4).toMatchObject({ blockSize: 64, blockBytes: 36 });
    expect(quantFormatOfGgml('Q8_0')).toBe('q8_0');
    expect(quantFormatOfGgml('Q5_K')).toBeUndefined();
    expect(quantByteSize('q4_0', 64)).toBe(36);
    expect(() => quantByteSize('q4_k', 100)).toThrow(/not a whole number of 256-value blocks/);
  });
});

describe('dequantize (hand-built blocks)', () => {
  it('Q8_0: d·qs[i], qs signed', () => {
    const b = block(34);
    new DataView(b.buffer).setUint16(0, 0x3400, true); // d = 0.25
    b[2] = 1;
    b[3] = 0x80; // −128
    b[33] = 127;
    const v = dequantize('q8_0', b, 32);
    expect([v[0], v[1], v[2], v[31]]).toEqual([0.25, -32, 0, 31.75]);
  });

  it('Q4_0: low nibbles are values 0..15, high nibbles 16..31, centred on 8', () => {
    const b = block(18, 0x88);
    new DataView(b.buffer).setUint16(0, 0x3800, true); // d = 0.5
    b[2] = 0x1f;
    b[17] = 0x80;
    const v = dequantize('q4_0', b, 32);
    expect([v[0], v[16], v[15], v[31], v[5]]).toEqual([3.5, -3.5, -4, 0, 0]);
  });

  it('Q4_K: 6-bit scales and mins packed as get_scale_min_k4 reads them', () => {
    const b = block(144);
    const view = new DataView(b.buffer);
    view.setUint16(0, 0x3c00, true); // d = 1
    view.setUint16(2, 0x3800, true); // dmin = 0.5
    // scales = [1, 2, 3, 4, 37, 50, 63, 16], mins = [0, 5, 10, 63, 17, 33, 48, 1]:
    // bytes 0-3: scale j | top bits of scale j+4; 4-7: min j | top bits of min j+4; 8-11: low bits of both.
    b.set([0x81, 0xc2, 0xc3, 0x44, 0x40, 0x85, 0xca, 0x3f, 0x15, 0x12, 0x0f, 0x10], 4);
    const unpacked = Array.from({ length: 8 }, (_, j) => q4kScaleMin(b, 4, j));
    expect(unpacked.map((s) => s.scale)).toEqual([1, 2, 3, 4, 37, 50, 63, 16]);
    expect(unpacked.map((s) => s.min)).toEqual([0, 5, 10, 63, 17, 33, 48, 1]);
    b[16 + 0] = 0x21; // value 0 (sub-block 0, q 1) and value 32 (sub-block 1, q 2)
    b[16 + 32] = 0x70; // value 64 (sub-block 2, q 0) and value 96 (sub-block 3, q 7)
    b[16 + 64] = 0x3a; // value 128 (sub-block 4, q 10) and value 160 (sub-block 5, q 3)
    b[16 + 127] = 0xf0; // value 223 (sub-block 6, q 0) and value 255 (sub-block 7, q 15)
    const v = dequantize('q4_k', b, 256);
    expect(v[0]).toBe(1 * 1 * 1 - 0.5 * 0);
    expect(v[32]).toBe(1 * 2 * 2 - 0.5 * 5);
    expect(v[64]).toBe(1 * 3 * 0 - 0.5 * 10);
    expect(v[96]).toBe(1 * 4 * 7 - 0.5 * 63);
    expect(v[128]).toBe(1 * 37 * 10 - 0.5 * 17);
    expect(v[160]).toBe(1 * 50 * 3 - 0.5 * 33);
    expect(v[223]).toBe(1 * 63 * 0 - 0.5 * 48);
    expect(v[255]).toBe(1 * 16 * 15 - 0.5 * 1);
    expect(v[200]).toBe(-0.5 * 48); // q = 0 elsewhere: just the min
  });

  it('Q6_K: ql low/high nibbles, 2-bit pairs of qh, int8 scales per 16 values, d last', () => {
    const b = block(210);
    new DataView(b.buffer).setUint16(208, 0x4000, true); // d = 2
    const scales = new Int8Array(b.buffer, 192, 16);
    scales.set([1, 0, -3, 0, 5, 0, -7, 0, 0, 11, 0, 0, 0, 0, 0, -128]);
    b[0] = 0x5a; // low bits of values 0 (0xA) and 64 (0x5)
    b[32] = 0xc3; // low bits of values 32 (0x3) and 96 (0xC)
    b[128] = 0b11_10_01_00; // high bits: value 0 → 0, 32 → 1, 64 → 2, 96 → 3
    b[64 + 17] = 0x0f; // second half, l = 17: value 145 low bits 15
    b[128 + 32 + 17] = 0x03; // and high bits 3: q = 63
    const v = dequantize('q6_k', b, 256);
    expect(v[0]).toBe(2 * 1 * (0x0a - 32));
    expect(v[32]).toBe(2 * -3 * (0x13 - 32));
    expect(v[64]).toBe(2 * 5 * (0x25 - 32));
    expect(v[96]).toBe(2 * -7 * (0x3c - 32));
    expect(v[145]).toBe(2 * 11 * (63 - 32)); // scale 8 + 17/16
    expect(v[255]).toBe(2 * -128 * -32); // scale 15, q = 0
    expect(Math.abs(v[16])).toBe(0); // scale 1 is zero
  });

  it('NF4: absmax·code, value 2i in the high nibble', () => {
    const b = block(36, 0x77); // code 7 is NF4's exact zero
    new DataView(b.buffer).setFloat32(0, 2, true);
    b[4] = 0xf0;
    b[35] = 0x87;
    const v = dequantize('nf4', b, 64);
    expect([v[0], v[1], v[2], v[63]]).toEqual([2, -2, 0, 0]);
    expect(v[62]).toBe(Math.fround(2 * NF4_CODE[8]));
  });

  it('refuses a partial block or too few bytes', () => {
    expect(() => dequantize('q8_0', new Uint8Array(34), 16)).toThrow(/not a whole number/);
    expect(() => dequantize('q8_0', new Uint8Array(34), 64)).toThrow(/need 68 bytes, got 34/);
  });
});
