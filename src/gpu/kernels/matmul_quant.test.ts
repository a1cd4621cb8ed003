import { describe, expect, it } from 'vitest';
import { QUANT_FORMATS, quantByteSize, type QuantFormat } from '../../model/quant/formats';
import type { GpuContext } from '../context';
import { assertClose, dot, finiteDifference, maxRelativeError, type Tolerance } from '../testing/compare';
import { layoutContext, testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { matmulBackwardInputRef, matmulForwardRef } from './matmul.ref';
import { matmulForward } from './matmul';
import {
  matmulBackwardInputQuant,
  matmulForwardQuant,
  matvecShapeFor,
  releaseQuantized,
  uploadQuantized,
  type QuantizedWeight,
} from './matmul_quant';
import { dequantizeWeight, type QuantizedHostWeight } from './matmul_quant.ref';
import { quantizeForTest, randomBlocks } from './quant-testing';

const FORMATS: QuantFormat[] = ['q8_0', 'q4_0', 'q4_k', 'q6_k', 'nf4', 'f16', 'bf16'];

/** K values each block size allows; M = 1 and 7 take the matrix-vector kernel, 33 the tiled one. */
const K_BY_BLOCK: Record<number, number[]> = { 32: [32, 64, 512], 64: [64, 128, 512], 256: [256, 512] };
function shapes(format: QuantFormat): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const m of [1, 7, 33]) {
    for (const n of [5, 64, 172]) for (const k of K_BY_BLOCK[QUANT_FORMATS[format].blockSize]) out.push([m, n, k]);
  }
  return out;
}

/**
 * Tolerance from the worst-case bound of f32 summation: each output may be off by (K + 8)·2⁻²⁴·Σ|terms|
 * (K products, plus the f32 rounding of the dequantized weight and of the epilogue). Taken at the largest
 * Σ|terms| of the product, so a wrong weight, scale or index (an error the size of a term) fails it.
 */
function summationTolerance(terms: ArrayLike<number>, k: number): Tolerance {
  let max = 0;
  for (let i = 0; i < terms.length; i++) max = Math.max(max, Math.abs(terms[i]));
  return { atol: (k + 8) * 2 ** -24 * max, rtol: 0 };
}
const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);

/**
 * Random weights whose spread and centre change every 16 values, so that quantized sub-block scales and mins
 * cover their whole range (uniform data would give every sub-block nearly the same scale and hide layout bugs).
 */
function variedWeights(count: number, seed: number): Float32Array {
  const values = randomArray(count, seed);
  const spread = randomArray(count, seed + 1);
  for (let i = 0; i < count; i++) {
    const g = i - (i % 16);
    values[i] = (0.02 + 0.24 * (spread[g] + 1)) * (values[i] + 0.5 * spread[g + 1]);
  }
  return values;
}

function hostWeight(format: QuantFormat, n: number, k: number, seed: number): QuantizedHostWeight {
  return { format, shape: [n, k], bytes: quantizeForTest(format, variedWeights(n * k, seed)) };
}

function upload(ctx: GpuContext, w: QuantizedHostWeight, maxPartBytes?: number): QuantizedWeight {
  return uploadQuantized(ctx, { ...w, label: `w_${w.format}`, maxPartBytes });
}

/** Runs forward and backward-input on the GPU and checks both against the float64 CPU products. */
async function checkProducts(ctx: GpuContext, host: QuantizedHostWeight, m: number, seed: number): Promise<void> {
  const [n, k] = host.shape;
  const wd = dequantizeWeight(host);
  const x = randomArray(m * k, seed + 1), dy = randomArray(m * n, seed + 2);
  const w = upload(ctx, host);
  const tx = ctx.tensor([m, k], 'f32', 'x', x), tdy = ctx.tensor([m, n], 'f32', 'dy', dy);
  const y = ctx.tensor([m, n], 'f32', 'y'), dx = ctx.tensor([m, k], 'f32', 'dx');
  matmulForwardQuant(ctx, tx, w, y);
  matmulBackwardInputQuant(ctx, tdy, w, dx);
  const where = `${host.format} [M,N,K]=[${m},${n},${k}]`;
  const yTol = summationTolerance(matmulForwardRef(abs(x), abs(wd), m, n, k), k);
  assertClose(await ctx.read(y), matmulForwardRef(x, wd, m, n, k), yTol, `forward ${where}`);
  const dxTol = summationTolerance(matmulBackwardInputRef(abs(dy), abs(wd), m, n, k), n);
  assertClose(await ctx.read(dx), matmulBackwardInputRef(dy, wd, m, n, k), dxTol, `backward input ${where}`);
  releaseQuantized(ctx, w);
  for (const t of [tx, tdy, y, dx]) ctx.release(t);
}

// Kernels under test: matmul_forward_quant.wgsl (entry points main, matvec and matvec1) and
// matmul_backward_input_quant.wgsl, each with every decoder (matmul_weights_q8_0, matmul_weights_q4_0,
// matmul_weights_q4_k, matmul_weights_q6_k, matmul_weights_nf4, matmul_weights_f16, matmul_weights_bf16), spliced
// with matmul_register_block and matmul_low_rank; the matrix-vector kernels also with matmul_weights_f32 (dense
// weights, through matmulForward). matvec1 (M = 1 on this device) takes each format's span dot: matvec_dot_q8_0,
// matvec_dot_q4_0, matvec_dot_f32, and matvec_dot_load8 for the other formats.
describe.each(FORMATS)('matmul with %s weights', (format) => {
  const blockSize = QUANT_FORMATS[format].blockSize;

  it.each(shapes(format))('match the CPU reference for [M,N,K] = [%i,%i,%i]', async (m, n, k) => {
    const ctx = await testContext();
    await checkProducts(ctx, hostWeight(format, n, k, m * 1000 + n + k), m, n + k);
  });

  it('match the CPU reference on blocks of random bytes (every bit of the layout in play)', async () => {
    const ctx = await testContext();
    for (const [m, n, k] of [[1, 13, 2 * blockSize], [3, 70, blockSize], [9, 13, 2 * blockSize]]) {
      const host: QuantizedHostWeight = { format, shape: [n, k], bytes: randomBlocks(format, n * k, m + n) };
      await checkProducts(ctx, host, m, k);
    }
  });

  it('apply bias, residual, scale, accumulate and wRows like matmulForward / matmulBackwardInput', async () => {
    const ctx = await testContext();
    const [total, k, offset, n] = [23, 2 * blockSize, 3, 17];
    const host = hostWeight(format, total, k, 7);
    const wd = dequantizeWeight(host);
    const w = upload(ctx, host);
    for (const m of [2, 9]) {
      const x = randomArray(m * k, 1), bias = randomArray(total, 2), residual = randomArray(m * n, 3);
      const y0 = randomArray(m * n, 4), dy = randomArray(m * n, 5), dx0 = randomArray(m * k, 6);
      const tx = ctx.tensor([m, k], 'f32', 'x', x), tb = ctx.tensor([total], 'f32', 'bias', bias);
      const tr = ctx.tensor([m, n], 'f32', 'residual', residual), y = ctx.tensor([m, n], 'f32', 'y', y0);
      const tdy = ctx.tensor([m, n], 'f32', 'dy', dy), dx = ctx.tensor([m, k], 'f32', 'dx', dx0);
      const wRows = { offset, count: n };
      matmulForwardQuant(ctx, tx, w, y, { bias: tb, residual: tr, scale: 0.5, accumulate: true, wRows });
      matmulBackwardInputQuant(ctx, tdy, w, dx, { scale: -2, accumulate: true, wRows });
      const yRef = matmulForwardRef(x, wd, m, n, k, { bias, residual, scale: 0.5, rowOffset: offset });
      yRef.forEach((v, i) => (yRef[i] = v + y0[i]));
      const dxRef = matmulBackwardInputRef(dy, wd, m, n, k, -2, offset);
      dxRef.forEach((v, i) => (dxRef[i] = v + dx0[i]));
      assertClose(await ctx.read(y), yRef, { atol: 1e-4, rtol: 1e-5 }, `forward with options, M=${m}`);
      assertClose(await ctx.read(dx), dxRef, { atol: 1e-4, rtol: 1e-5 }, `backward with options, M=${m}`);
      for (const t of [tx, tb, tr, y, tdy, dx]) ctx.release(t);
    }
    releaseQuantized(ctx, w);
  });

  it('backward input agrees with central finite differences of the CPU forward', async () => {
    const ctx = await testContext();
    const [m, n, k] = [2, 3, blockSize];
    const host = hostWeight(format, n, k, 11);
    const wd = dequantizeWeight(host);
    const x = randomArray(m * k, 12), dy = randomArray(m * n, 13);
    const w = upload(ctx, host);
    const tdy = ctx.tensor([m, n], 'f32', 'dy', dy), dx = ctx.tensor([m, k], 'f32', 'dx');
    matmulBackwardInputQuant(ctx, tdy, w, dx);
    const numeric = finiteDifference((xp) => dot(dy, matmulForwardRef(xp, wd, m, n, k)), x, 1e-3);
    expect(maxRelativeError(await ctx.read(dx), numeric)).toBeLessThan(1e-5);
    releaseQuantized(ctx, w);
    for (const t of [tdy, dx]) ctx.release(t);
  });

  it('handle a weight stored in several parts, with row ranges that straddle them', async () => {
    const ctx = await testContext();
    const [total, k] = [41, blockSize];
    const host = hostWeight(format, total, k, 21);
    const wd = dequantizeWeight(host);
    // A part of at most 9 rows' host bytes: GPU quants take no more than host blocks, so 9 rows or fewer.
    const w = upload(ctx, host, quantByteSize(format, k) * 9);
    expect(w.parts.length).toBeGreaterThanOrEqual(4);
    for (const [m, offset, n] of [[1, 0, total], [7, 5, 30], [33, 17, 1]]) {
      const x = randomArray(m * k, m), dy = randomArray(m * n, m + 1);
      const tx = ctx.tensor([m, k], 'f32', 'x', x), tdy = ctx.tensor([m, n], 'f32', 'dy', dy);
      const y = ctx.tensor([m, n]), dx = ctx.tensor([m, k]);
      matmulForwardQuant(ctx, tx, w, y, { wRows: { offset, count: n } });
      matmulBackwardInputQuant(ctx, tdy, w, dx, { wRows: { offset, count: n } });
      const tol = { atol: 1e-4, rtol: 1e-5 };
      const yRef = matmulForwardRef(x, wd, m, n, k, { rowOffset: offset });
      assertClose(await ctx.read(y), yRef, tol, `parts forward M=${m}`);
      const dxRef = matmulBackwardInputRef(dy, wd, m, n, k, 1, offset);
      assertClose(await ctx.read(dx), dxRef, tol, `parts backward M=${m}`);
      for (const t of [tx, tdy, y, dx]) ctx.release(t);
    }
    releaseQuantized(ctx, w);
  });

  // LoRA's low-rank term fused into the quantized products: y += s·u·Bᵀ and dx += s·du·A, at M = 3 (matvec) and
  // M = 33 (tiled), rank 8 and 37 (two reduction steps, the last partial), on a weight in several parts (the
  // forward's parts each add their own columns; only the backward's first part adds the term).
  it('add a low-rank (LoRA) term in the same dispatch, across parts', async () => {
    const ctx = await testContext();
    const [n, k] = [41, blockSize];
    const host = hostWeight(format, n, k, 31);
    const wd = dequantizeWeight(host);
    const w = upload(ctx, host, quantByteSize(format, k) * 9);
    expect(w.parts.length).toBeGreaterThanOrEqual(4);
    for (const [m, r] of [[3, 8], [33, 37]]) {
      const x = randomArray(m * k, 41), dy = randomArray(m * n, 42), y0 = randomArray(m * n, 43);
      const u = randomArray(m * r, 44), b = randomArray(n * r, 45), du = randomArray(m * r, 46), a = randomArray(r * k, 47);
      const s = 0.375;
      const tx = ctx.tensor([m, k], 'f32', 'x', x), tdy = ctx.tensor([m, n], 'f32', 'dy', dy);
      const tu = ctx.tensor([m, r], 'f32', 'u', u), tb = ctx.tensor([n, r], 'f32', 'B', b);
      const tdu = ctx.tensor([m, r], 'f32', 'du', du), ta = ctx.tensor([r, k], 'f32', 'A', a);
      const y = ctx.tensor([m, n], 'f32', 'y', y0), dx = ctx.tensor([m, k]);
      matmulForwardQuant(ctx, tx, w, y, { accumulate: true, lowRank: { u: tu, b: tb, scale: s } });
      matmulBackwardInputQuant(ctx, tdy, w, dx, { lowRank: { u: tdu, b: ta, scale: s } });
      const tol = { atol: 1e-4, rtol: 1e-5 };
      const low = matmulForwardRef(u, b, m, n, r, { scale: s });
      const yRef = matmulForwardRef(x, wd, m, n, k).map((v, i) => v + low[i] + y0[i]);
      assertClose(await ctx.read(y), yRef, tol, `low-rank forward M=${m} r=${r}`);
      const lowDx = matmulBackwardInputRef(du, a, m, r, k, s);
      const dxRef = matmulBackwardInputRef(dy, wd, m, n, k).map((v, i) => v + lowDx[i]);
      assertClose(await ctx.read(dx), dxRef, tol, `low-rank backward M=${m} r=${r}`);
      expect(() => matmulForwardQuant(ctx, tx, w, y, { scale: 2, lowRank: { u: tu, b: tb, scale: s } })).toThrow(/needs scale 1/);
      expect(() => matmulBackwardInputQuant(ctx, tdy, w, dx, { lowRank: { u: tdu, b: tb, scale: s } })).toThrow(/low-rank factor/);
      for (const t of [tx, tdy, tu, tb, tdu, ta, y, dx]) ctx.release(t);
    }
    releaseQuantized(ctx, w);
  });

  it('keep the quantized size on the GPU', async () => {
    const ctx = await testContext();
    const host = hostWeight(format, 9, 2 * blockSize, 31);
    const w = upload(ctx, host);
    // Host bytes, plus at most one word: the padding of the f16 scale array, or the stand-in of a 16-bit format.
    expect(w.byteSize).toBeGreaterThanOrEqual(host.bytes.byteLength);
    expect(w.byteSize).toBeLessThanOrEqual(host.bytes.byteLength + 4);
    releaseQuantized(ctx, w);
  });
});

/**
 * The decode kernels in both of their thread layouts: the one this device gets (SwiftShader: one thread per row, no
 * barrier; M = 1 in `matvec1`, four rows per thread; `matvec` four W rows per thread) and the one a GPU gets
 * (`matvec` for every M ≤ 16, 32 threads per row, summed in workgroup memory), taken here by a context whose
 * adapter says it is a GPU. M = 9 and 16 take two dispatches of up to 8 rows of X each (a batch of the base and
 * eight adapters' sequences is 9).
 * Every format, and dense f32 through matmulForward (K = 40: one 32-value span and an 8-value tail), N = 70 (not a
 * multiple of the rows per thread), with bias, residual, accumulate and a low-rank term against the CPU reference.
 */
describe.each(['software', 'gpu'] as const)('the matrix-vector kernel in the %s layout', (layout) => {
  const context = () => layoutContext(layout);

  it('is the layout of that kind of device', async () => {
    const expected = layout === 'software' ? { threadsPerRow: 1, rowsPerGroup: 32, rowsPerThread: 4, columnsPerThread: 4 } : { threadsPerRow: 32, rowsPerGroup: 8, rowsPerThread: 0, columnsPerThread: 1 };
    expect(matvecShapeFor(await context())).toEqual(expected);
  });

  it.each([...FORMATS, 'f32'] as const)('%s weights, M = 1, 5, 8, 9 and 16: bias, residual, accumulate and a low-rank term', async (format) => {
    const ctx = await context();
    const k = format === 'f32' ? 40 : 2 * QUANT_FORMATS[format].blockSize;
    const n = 70;
    const r = 3;
    for (const m of [1, 5, 8, 9, 16]) {
      const seed = m * 100 + k;
      const dense = variedWeights(n * k, seed);
      const host = format === 'f32' ? null : hostWeight(format, n, k, seed);
      const wd = host ? dequantizeWeight(host) : dense;
      const x = randomArray(m * k, seed + 1), bias = randomArray(n, seed + 2), residual = randomArray(m * n, seed + 3);
      const y0 = randomArray(m * n, seed + 4), u = randomArray(m * r, seed + 5), b = randomArray(n * r, seed + 6);
      const tx = ctx.tensor([m, k], 'f32', 'x', x), tb = ctx.tensor([n], 'f32', 'bias', bias);
      const tr = ctx.tensor([m, n], 'f32', 'residual', residual), y = ctx.tensor([m, n], 'f32', 'y', y0);
      const tu = ctx.tensor([m, r], 'f32', 'u', u), tB = ctx.tensor([n, r], 'f32', 'B', b);
      const w = host ? upload(ctx, host) : ctx.tensor([n, k], 'f32', 'w', dense);
      const options = { bias: tb, residual: tr, accumulate: true, lowRank: { u: tu, b: tB, scale: 0.5 } };
      if (host) matmulForwardQuant(ctx, tx, w as QuantizedWeight, y, options);
      else matmulForward(ctx, tx, w as ReturnType<GpuContext['tensor']>, y, options);
      const base = matmulForwardRef(x, wd, m, n, k, { bias, residual });
      const low = matmulForwardRef(u, b, m, n, r, { scale: 0.5 });
      const tol = summationTolerance(
        matmulForwardRef(abs(x), abs(wd), m, n, k).map((v, i) => v + matmulForwardRef(abs(u), abs(b), m, n, r)[i] + Math.abs(y0[i])),
        k + r + 3,
      );
      assertClose(await ctx.read(y), base.map((v, i) => v + low[i] + y0[i]), tol, `${format} M=${m} (${layout})`);
      if (host) releaseQuantized(ctx, w as QuantizedWeight);
      else ctx.release(w as ReturnType<GpuContext['tensor']>);
      for (const t of [tx, tb, tr, y, tu, tB]) ctx.release(t);
    }
  });
});

describe('test quantizers', () => {
  // Relative RMS error of dequantize(quantize(v)) on the varied weights of hostWeight (measured: q8_0 0.005,
  // q6_k 0.016, q4_k 0.065, q4_0 0.077, nf4 0.093): the test quantizers write the layout the hand-pinned CPU
  // decoder reads.
  it.each([
    ['q8_0', 0.008],
    ['q6_k', 0.025],
    ['q4_k', 0.09],
    ['q4_0', 0.11],
    ['nf4', 0.12],
    ['f16', 0.0005],
    ['bf16', 0.004],
  ] as [QuantFormat, number][])('%s round-trips with relative RMS error < %f', (format, bound) => {
    const exact = variedWeights(8 * 512, 5);
    const approx = dequantizeWeight({ format, shape: [8, 512], bytes: quantizeForTest(format, exact) });
    let err = 0, ref = 0;
    for (let i = 0; i < exact.length; i++) {
      err += (approx[i] - exact[i]) ** 2;
      ref += exact[i] ** 2;
    }
    expect(Math.sqrt(err / ref)).toBeLessThan(bound);
  });
});

describe('quantized matmul refusals', () => {
  it('refuses K that is not a whole number of blocks, naming the tensor', async () => {
    const ctx = await testContext();
    const bytes = new Uint8Array(4 * 2 * 144);
    expect(() => uploadQuantized(ctx, { format: 'q4_k', shape: [4, 300], bytes, label: 'blk.0.ffn_up' })).toThrow(
      /weight 'blk.0.ffn_up': K=300 is not a multiple of the q4_k block size 256/,
    );
    expect(() => uploadQuantized(ctx, { format: 'q4_k', shape: [4, 256], bytes, label: 'blk.0.ffn_up' })).toThrow(
      /'blk.0.ffn_up': \[4, 256\] in q4_k is 576 bytes, got 1152/,
    );
  });

  it('refuses mismatched shapes, rows outside W and an output that aliases an input', async () => {
    const ctx = await testContext();
    const w = upload(ctx, hostWeight('q8_0', 8, 64, 1));
    const x = ctx.tensor([3, 32], 'f32', 'x'), x64 = ctx.tensor([3, 64], 'f32', 'x64');
    const y = ctx.tensor([3, 8], 'f32', 'y'), y4 = ctx.tensor([3, 4], 'f32', 'y4');
    expect(() => matmulForwardQuant(ctx, x, w, y)).toThrow(
      /matmul_forward_q8_0: weight 'w_q8_0' \[8×64\] has K=64, expected 32/,
    );
    expect(() => matmulForwardQuant(ctx, x64, w, y4)).toThrow(
      /matmul_forward_q8_0: output is y4\[3×4:f32\], expected \[3×8:f32\]/,
    );
    expect(() => matmulForwardQuant(ctx, x64, w, y4, { wRows: { offset: 6, count: 4 } })).toThrow(
      /rows \[6, 10\) are outside weight 'w_q8_0' \[8 rows\]/,
    );
    expect(() => matmulForwardQuant(ctx, x64, w, y, { residual: y })).toThrow(/shares a buffer with output/);
    expect(() => matmulBackwardInputQuant(ctx, y4, w, x64)).toThrow(/matmul_backward_input_q8_0: dy is y4\[3×4:f32\]/);
    releaseQuantized(ctx, w);
  });
});
