import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  bf16BytesToF32,
  f16BitsToF32,
  f16BytesToF32,
  f32ToBf16Bits,
  f32ToBf16Bytes,
  f32ToF16Bits,
  f32ToF16Bytes,
  floatBytesToF32,
} from './dtype';

describe('half-precision conversions', () => {
  it('decodes known f16 bit patterns exactly', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    for (const [bits, value] of cases) expect(f16BitsToF32(bits)).toBe(value);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
  });

  it('encodes to f16 with round-to-nearest-even, subnormals and overflow', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // the tie rounds to even: past the max
    expect(f32ToF16Bits(1e9)).toBe(0x7c00);
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001);
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal → 0
    expect(f32ToF16Bits(1.5 * 2 ** -24)).toBe(0x0002); // tie between 1 and 2 ulps → 2
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even mantissa
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // subnormal rounding up into the normals
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits(NaN)).toBe(0x7e00);
    // Every finite f16 survives a round trip.
    const broken: number[] = [];
    for (let h = 0; h < 0x7c00; h++) {
      if (f32ToF16Bits(f16BitsToF32(h)) !== h) broken.push(h);
      if (f32ToF16Bits(f16BitsToF32(h | 0x8000)) !== (h | 0x8000)) broken.push(h | 0x8000);
    }
    expect(broken).toEqual([]);
  });

  it('converts bf16 both ways with round-to-nearest-even', () => {
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(bf16BitsToF32(0xc040)).toBe(-3);
    expect(bf16BitsToF32(0x7f80)).toBe(Infinity);
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16Bits(Math.PI)).toBe(0x4049);
    expect(bf16BitsToF32(f32ToBf16Bits(NaN))).toBeNaN();
  });

  it('converts byte buffers, including misaligned views', () => {
    const values = [0, 1, -2.5, 1024, 0.0001220703125];
    const f16 = f32ToF16Bytes(values);
    expect([...f16BytesToF32(f16)]).toEqual(values);
    const shifted = new Uint8Array(f16.byteLength + 1);
    shifted.set(f16, 1);
    expect([...f16BytesToF32(shifted.subarray(1))]).toEqual(values);
    expect([...bf16BytesToF32(f32ToBf16Bytes(values))]).toEqual([0, 1, -2.5, 1024, 0.0001220703125]);
    const f32 = new Uint8Array(new Float32Array(values).buffer);
    const f32Shifted = new Uint8Array(f32.byteLength + 1);
    f32Shifted.set(f32, 1);
    expect([...floatBytesToF32(f32Shifted.subarray(1), 'F32')]).toEqual([...new Float32Array(values)]);
    expect([...floatBytesToF32(f16, 'F16')]).toEqual(values);
    expect(() => f16BytesToF32(new Uint8Array(3))).toThrow(/odd byte length/);
  });
});
