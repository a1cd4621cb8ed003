import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor';
import { assertClose, dot, finiteDifference, maxRelativeError } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray, randomInts } from '../testing/random';
import { embeddingBackward, embeddingForward } from './embedding';
import { embeddingBackwardRef, embeddingForwardRef } from './embedding.ref';
import { dequantize } from '../../model/quant/dequantize';
import { QUANT_FORMATS, type QuantFormat } from '../../model/quant/formats';
import { GPU_BLOCK_SPLIT } from '../../model/quant/gpu-layout';
import { releaseQuantized, uploadQuantized } from './matmul_quant';
import { randomBlocks } from './quant-testing';

// [T, V, C]: stories260K-sized, a 576-wide row with odd T, a single token and row, V=49152 at narrow C (the
// largest ids), and more tokens than rows so most ids repeat (the scatter's conflict case).
const SHAPES: [number, number, number][] = [
  [37, 512, 64],
  [9, 300, 576],
  [1, 1, 1],
  [33, 49152, 8],
  [256, 5, 67],
];

function idsFor(tokens: number, vocab: number, seed: number): Uint32Array {
  const ids = randomInts(tokens, vocab, seed);
  if (tokens > 2) ids[tokens - 1] = ids[0]; // at least one repeat
  if (vocab > 1) ids[Math.floor(tokens / 2)] = vocab - 1; // the last row
  return ids;
}

// Kernels under test: embedding_forward (spliced with linear_grid) and embedding_backward.
describe('embedding', () => {
  it.each(SHAPES)('forward gathers rows exactly for T=%i V=%i C=%i', async (tokens, vocab, channels) => {
    const ctx = await testContext();
    const ids = idsFor(tokens, vocab, 1);
    const table = randomArray(vocab * channels, 2);
    const tIds = ctx.tensor([tokens], 'u32', 'ids', ids);
    const tTable = ctx.tensor([vocab, channels], 'f32', 'table', table);
    const out = ctx.tensor([tokens, channels], 'f32', 'out', randomArray(tokens * channels, 3)); // stale data
    embeddingForward(ctx, tIds, tTable, out);
    const expected = embeddingForwardRef(ids, table, channels);
    assertClose(await ctx.read(out), expected, { atol: 0, rtol: 0 }, 'embedding_forward');
    for (const t of [tIds, tTable, out]) ctx.release(t);
  });

  it.each(SHAPES)('backward scatter-adds bit-exactly for T=%i V=%i C=%i', async (tokens, vocab, channels) => {
    const ctx = await testContext();
    const ids = idsFor(tokens, vocab, 4);
    const dOut = randomArray(tokens * channels, 5);
    const tIds = ctx.tensor([tokens], 'u32', 'ids', ids);
    const tdOut = ctx.tensor([tokens, channels], 'f32', 'dOut', dOut);
    const initial = randomArray(vocab * channels, 6);
    const dTable = ctx.tensor([vocab, channels], 'f32', 'dTable', initial);
    embeddingBackward(ctx, tIds, tdOut, dTable); // overwrites the stale contents
    const expected = embeddingBackwardRef(ids, dOut, vocab, channels);
    assertClose(await ctx.read(dTable), expected, { atol: 0, rtol: 0 }, 'embedding_backward');
    embeddingBackward(ctx, tIds, tdOut, dTable, { accumulate: true });
    const twice = embeddingBackwardRef(ids, dOut, vocab, channels, expected);
    assertClose(await ctx.read(dTable), twice, { atol: 0, rtol: 0 }, 'embedding_backward accumulate');
    for (const t of [tIds, tdOut, dTable]) ctx.release(t);
  });

  it('backward matches finite differences of the forward reference', async () => {
    const ctx = await testContext();
    const [tokens, vocab, channels] = [23, 11, 13];
    const ids = idsFor(tokens, vocab, 7);
    const table = randomArray(vocab * channels, 8);
    const dOut = randomArray(tokens * channels, 9);
    const tIds = ctx.tensor([tokens], 'u32', 'ids', ids);
    const tdOut = ctx.tensor([tokens, channels], 'f32', 'dOut', dOut);
    const dTable = ctx.tensor([vocab, channels], 'f32', 'dTable');
    embeddingBackward(ctx, tIds, tdOut, dTable);
    const numeric = finiteDifference((w) => dot(dOut, embeddingForwardRef(ids, w, channels)), table);
    expect(maxRelativeError(await ctx.read(dTable), numeric)).toBeLessThan(1e-6);
    for (const t of [tIds, tdOut, dTable]) ctx.release(t);
  });

  it('out-of-range ids give zero rows and no gradient, without touching memory past the table', async () => {
    const ctx = await testContext();
    const [vocab, channels] = [4, 6];
    const ids = Uint32Array.from([1, 4, 3, 0xffffffff, 1]);
    const table = randomArray(vocab * channels, 10);
    const tIds = ctx.tensor([ids.length], 'u32', 'ids', ids);
    const tTable = ctx.tensor([vocab, channels], 'f32', 'table', table);
    const out = ctx.tensor([ids.length, channels], 'f32', 'out', new Float32Array(ids.length * channels).fill(9));
    embeddingForward(ctx, tIds, tTable, out);
    const got = await ctx.read(out);
    assertClose(got, embeddingForwardRef(ids, table, channels), { atol: 0, rtol: 0 }, 'embedding_forward oob');
    expect(Array.from(got.subarray(channels, 2 * channels))).toEqual(new Array(channels).fill(0));

    // dTable is a view of the first V rows of a buffer with one guard row after them, all 7s.
    const initial = new Float32Array((vocab + 1) * channels).fill(7);
    const guarded = ctx.tensor([vocab + 1, channels], 'f32', 'guarded', initial);
    const dTable = new Tensor(guarded.buffer, [vocab, channels], 'f32', 'dTable');
    const dOut = randomArray(ids.length * channels, 11);
    const tdOut = ctx.tensor([ids.length, channels], 'f32', 'dOut', dOut);
    embeddingBackward(ctx, tIds, tdOut, dTable, { accumulate: true });
    const expected = new Float32Array((vocab + 1) * channels).fill(7);
    expected.set(embeddingBackwardRef(ids, dOut, vocab, channels, initial.subarray(0, vocab * channels)));
    assertClose(await ctx.read(guarded), expected, { atol: 0, rtol: 0 }, 'embedding_backward oob');
    for (const t of [guarded, tIds, tTable, out, tdOut]) ctx.release(t);
  });

  it('refuses mismatched shapes and dtypes, naming the kernel', async () => {
    const ctx = await testContext();
    const ids = ctx.tensor([3], 'u32');
    const idsF = ctx.tensor([3], 'f32');
    const table = ctx.tensor([10, 4]);
    expect(() => embeddingForward(ctx, ids, table, ctx.tensor([3, 5]))).toThrow(
      /embedding_forward: out .* expected \[3×4:f32\]/,
    );
    expect(() => embeddingForward(ctx, idsF, table, ctx.tensor([3, 4]))).toThrow(/embedding_forward: ids .*:f32\]/);
    expect(() => embeddingBackward(ctx, ids, ctx.tensor([2, 4]), table)).toThrow(/embedding_backward: dOut/);
  });
});

// Kernel under test: embedding_forward_quant (spliced with each matmul_weights_<format>.wgsl and linear_grid).
describe.each(['f16', 'bf16', 'q8_0', 'q4_0', 'q4_k', 'q6_k', 'nf4'] as QuantFormat[])(
  'embedding from a %s table (kept as stored)',
  (format) => {
    it('gathers the decoded rows, across parts, with zero rows for ids past the table', async () => {
      const ctx = await testContext();
      const channels = 2 * QUANT_FORMATS[format].blockSize;
      const vocab = 37;
      const bytes = randomBlocks(format, vocab * channels, 12);
      const table = dequantize(format, bytes, vocab * channels);
      const ids = Uint32Array.from([...idsFor(29, vocab, 13), vocab, 0xffffffff, 0]);
      const tIds = ctx.tensor([ids.length], 'u32', 'ids', ids);
      // Parts of 8 rows (the last one shorter): every part's dispatch writes only the tokens whose row it holds.
      const rowBytes = (channels / QUANT_FORMATS[format].blockSize) * GPU_BLOCK_SPLIT[format].qWords * 4;
      const w = uploadQuantized(ctx, { format, shape: [vocab, channels], bytes, label: `embd_${format}`, maxPartBytes: 8 * rowBytes });
      expect(w.parts.length).toBe(5);
      const out = ctx.tensor([ids.length, channels], 'f32', 'out', randomArray(ids.length * channels, 14)); // stale data
      embeddingForward(ctx, tIds, w, out);
      // Decoding in f32 on the GPU and in float64-then-f32 on the CPU may differ in the last bit (Q4_K's d·sc·q − m).
      assertClose(await ctx.read(out), embeddingForwardRef(ids, table, channels), { atol: 1e-6, rtol: 1e-6 }, format);
      releaseQuantized(ctx, w);
      for (const t of [tIds, out]) ctx.release(t);
    });
  },
);
