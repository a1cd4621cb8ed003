import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../context';
import { assertClose, finiteDifference, maxRelativeError } from '../testing/compare';
import { layoutContext, testContext } from '../testing/gpu';
import { mulberry32, randomArray } from '../testing/random';
import {
  CROSS_ENTROPY_METRICS,
  CrossEntropyChunked,
  crossEntropyBackward,
  crossEntropyChunkSize,
  crossEntropyForward,
} from './cross_entropy';
import { crossEntropyLossesRef, crossEntropyRef } from './cross_entropy.ref';

interface Case {
  tokens: number;
  dim: number;
  vocab: number;
  chunk: number;
  /** Fraction of labels set to −100. */
  ignore?: number;
  scale?: number;
  seed?: number;
}

function makeLabels(tokens: number, vocab: number, ignore: number, seed: number): Int32Array {
  const next = mulberry32(seed);
  const labels = new Int32Array(tokens);
  for (let t = 0; t < tokens; t++) labels[t] = next() < ignore ? -100 : Math.floor(next() * vocab);
  return labels;
}

/** Runs forward then backward through the free launchers; returns everything read back. */
async function runCase(ctx: GpuContext, c: Case, labels?: Int32Array) {
  const { tokens, dim, vocab, chunk, ignore = 0.25, scale = 1, seed = 1 } = c;
  const hidden = randomArray(tokens * dim, seed, scale);
  const weight = randomArray(vocab * dim, seed + 1, scale);
  const lab = labels ?? makeLabels(tokens, vocab, ignore, seed + 2);
  const valid = lab.filter((l) => l >= 0 && l < vocab).length;
  const gradScale = 1 / Math.max(1, valid);
  const t = {
    hidden: ctx.tensor([tokens, dim], 'f32', 'hidden', hidden),
    weight: ctx.tensor([vocab, dim], 'f32', 'weight', weight),
    labels: ctx.tensor([tokens], 'i32', 'labels', lab),
    losses: ctx.tensor([tokens], 'f32', 'losses'),
    stats: ctx.tensor([tokens, 3], 'f32', 'stats'),
    logitsChunk: ctx.tensor([tokens, chunk], 'f32', 'logits-chunk'),
    metrics: ctx.tensor([4], 'f32', 'metrics'),
    dHidden: ctx.tensor([tokens, dim], 'f32', 'dHidden'),
    dWeight: ctx.tensor([vocab, dim], 'f32', 'dWeight'),
  };
  crossEntropyForward(ctx, { ...t, metricsIndex: 1 });
  crossEntropyBackward(ctx, { ...t, gradScale });
  const got = {
    losses: await ctx.read(t.losses),
    metrics: await ctx.read(t.metrics),
    dHidden: await ctx.read(t.dHidden),
    dWeight: await ctx.read(t.dWeight),
  };
  for (const x of Object.values(t)) ctx.release(x);
  const ref = crossEntropyRef(hidden, weight, lab, tokens, dim, vocab, gradScale);
  return { got, ref, hidden, weight, labels: lab, gradScale };
}

function expectMatches(r: Awaited<ReturnType<typeof runCase>>, lossTol = { atol: 2e-5, rtol: 1e-5 }): void {
  const { got, ref } = r;
  assertClose(got.losses, ref.losses, lossTol, 'losses');
  // metrics at index 1: [1] Σ losses, [2] valid count, [3] labels ≥ V; [0] untouched.
  assertClose(
    got.metrics,
    [0, ref.lossSum, ref.validCount, ref.invalidLabels],
    { atol: lossTol.atol * ref.losses.length, rtol: 1e-5 },
    'metrics',
  );
  assertClose(got.dHidden, ref.dHidden, { atol: 1e-5, rtol: 1e-4 }, 'dHidden');
  assertClose(got.dWeight, ref.dWeight, { atol: 1e-5, rtol: 1e-4 }, 'dWeight');
}

// Vocabularies that are not multiples of the chunk, odd token counts, size-1 edges.
const CASES: Case[] = [
  { tokens: 7, dim: 16, vocab: 512, chunk: 96 },
  { tokens: 5, dim: 12, vocab: 1000, chunk: 256 },
  { tokens: 1, dim: 3, vocab: 7, chunk: 4, ignore: 0 },
  { tokens: 3, dim: 1, vocab: 1, chunk: 8, ignore: 0 },
  { tokens: 9, dim: 8, vocab: 300, chunk: 300 },
];

// Kernels under test: cross_entropy_forward, cross_entropy_forward_finish and cross_entropy_backward.
describe('cross_entropy', () => {
  // cross_entropy_forward's row reduction in both thread layouts (row_threads.ts: 8 threads on SwiftShader, 256 on a GPU).
  const layouts = (['software', 'gpu'] as const).flatMap((layout) => CASES.map((c) => [layout, c] as const));
  it.each(layouts)('forward and backward match the float64 reference, %s layout: %o', async (layout, c) => {
    const ctx = await layoutContext(layout);
    expectMatches(await runCase(ctx, c));
  });

  it('all labels ignored: loss 0, gradients 0, no NaN', async () => {
    const ctx = await testContext();
    const r = await runCase(ctx, { tokens: 5, dim: 8, vocab: 100, chunk: 32 }, new Int32Array(5).fill(-100));
    expect(Array.from(r.got.losses)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(r.got.metrics)).toEqual([0, 0, 0, 0]);
    expect(r.got.dHidden.every((x) => x === 0)).toBe(true);
    expect(r.got.dWeight.every((x) => x === 0)).toBe(true);
  });

  it('labels ≥ V are ignored and counted, so the host can refuse the batch', async () => {
    const ctx = await testContext();
    const r = await runCase(ctx, { tokens: 4, dim: 4, vocab: 50, chunk: 16 }, Int32Array.from([3, 50, -1, 70]));
    expectMatches(r);
    expect(r.got.metrics[1 + CROSS_ENTROPY_METRICS.validCount]).toBe(1);
    expect(r.got.metrics[1 + CROSS_ENTROPY_METRICS.invalidLabels]).toBe(2);
  });

  it('stays finite and accurate with logits around ±80', async () => {
    const ctx = await testContext();
    const c: Case = { tokens: 6, dim: 8, vocab: 200, chunk: 64, scale: 5, seed: 11 };
    const r = await runCase(ctx, c);
    let maxLogit = 0;
    for (let t = 0; t < c.tokens; t++) {
      for (let v = 0; v < c.vocab; v++) {
        let z = 0;
        for (let k = 0; k < c.dim; k++) z += r.hidden[t * c.dim + k] * r.weight[v * c.dim + k];
        maxLogit = Math.max(maxLogit, Math.abs(z));
      }
    }
    expect(maxLogit).toBeGreaterThan(80);
    // f32 logits near 80 carry ~1e-5 absolute rounding each, and the matmul sums 8 products of size ~25.
    expectMatches(r, { atol: 2e-4, rtol: 1e-5 });
  });

  it('dHidden and dWeight agree with central finite differences of the float64 loss', async () => {
    const ctx = await testContext();
    const c: Case = { tokens: 3, dim: 5, vocab: 37, chunk: 16, ignore: 0.3, seed: 5 };
    const r = await runCase(ctx, c);
    const { tokens, dim, vocab } = c;
    const lossOf = (h: ArrayLike<number>, w: ArrayLike<number>) =>
      r.gradScale * crossEntropyLossesRef(h, w, r.labels, tokens, dim, vocab).losses.reduce((a, b) => a + b, 0);
    const fdHidden = finiteDifference((h) => lossOf(h, r.weight), r.hidden);
    expect(maxRelativeError(r.got.dHidden, fdHidden)).toBeLessThan(1e-3);
    const probe = Array.from({ length: 40 }, (_, i) => (i * 97) % (vocab * dim));
    const fdWeight = finiteDifference((w) => lossOf(r.hidden, w), r.weight, 1e-5, probe);
    const gotProbe = probe.map((i) => r.got.dWeight[i]);
    expect(maxRelativeError(gotProbe, probe.map((i) => fdWeight[i]))).toBeLessThan(1e-3);
  });

  it('CrossEntropyChunked: scratch for more tokens than used, last chunk reused, accumulation', async () => {
    const ctx = await testContext();
    const [tokens, dim, vocab] = [5, 8, 210];
    const hidden = randomArray(tokens * dim, 21);
    const weight = randomArray(vocab * dim, 22);
    const labels = Int32Array.from([4, -100, 209, 0, 100]);
    const ce = new CrossEntropyChunked(ctx, { maxTokens: 9, vocab, chunk: 100 });
    expect(ce.chunk).toBe(64); // rounded down to a multiple of 64
    const t = {
      hidden: ctx.tensor([tokens, dim], 'f32', 'hidden', hidden),
      weight: ctx.tensor([vocab, dim], 'f32', 'weight', weight),
      labels: ctx.tensor([tokens], 'i32', 'labels', labels),
      losses: ctx.tensor([tokens], 'f32', 'losses'),
      metrics: ctx.tensor([3], 'f32', 'metrics'),
      dHidden: ctx.tensor([tokens, dim], 'f32', 'dHidden', new Float32Array(tokens * dim).fill(0.5)),
      dWeight: ctx.tensor([vocab, dim], 'f32', 'dWeight', new Float32Array(vocab * dim).fill(-1)),
    };
    const before = ctx.dispatches;
    ce.forward(t);
    ce.backward({ ...t, gradScale: 0.25, accumulate: true, accumulateWeight: true });
    // 4 chunks: forward 4×(matmul + stats) + finish; backward 3 recomputes + 4×(grad + dh + dW).
    expect(ctx.dispatches - before).toBe(9 + 15);
    const ref = crossEntropyRef(hidden, weight, labels, tokens, dim, vocab, 0.25);
    assertClose(await ctx.read(t.losses), ref.losses, { atol: 2e-5, rtol: 1e-5 }, 'losses');
    assertClose(await ctx.read(t.metrics), [ref.lossSum, 4, 0], { atol: 1e-4, rtol: 1e-5 }, 'metrics');
    const dh = ref.dHidden.map((x) => x + 0.5);
    const dw = ref.dWeight.map((x) => x - 1);
    assertClose(await ctx.read(t.dHidden), dh, { atol: 1e-5, rtol: 1e-4 }, 'dHidden (accumulated)');
    assertClose(await ctx.read(t.dWeight), dw, { atol: 1e-5, rtol: 1e-4 }, 'dWeight (accumulated)');
    // A second backward without a forward must recompute every chunk (the scratch now holds dlogits).
    let mark = ctx.dispatches;
    ce.backward({ ...t, gradScale: 0.25 });
    expect(ctx.dispatches - mark).toBe(16);
    assertClose(await ctx.read(t.dHidden), ref.dHidden, { atol: 1e-5, rtol: 1e-4 }, 'dHidden (second backward)');
    // So must a backward whose hidden is not the forward's (the scratch holds other logits).
    ce.forward(t);
    const otherHidden = ctx.tensor([tokens, dim], 'f32', 'hidden-copy', hidden);
    mark = ctx.dispatches;
    ce.backward({ ...t, hidden: otherHidden, gradScale: 0.25 });
    expect(ctx.dispatches - mark).toBe(16);
    ctx.release(otherHidden);
    // A fresh view of the forward's own hidden is the same memory: the last chunk is reused.
    ce.forward(t);
    mark = ctx.dispatches;
    ce.backward({ ...t, hidden: t.hidden.view([...t.hidden.shape]), gradScale: 0.25 });
    expect(ctx.dispatches - mark).toBe(15);
    assertClose(await ctx.read(t.dHidden), ref.dHidden, { atol: 1e-5, rtol: 1e-4 }, 'dHidden (reused last chunk)');
    ce.release();
    for (const x of Object.values(t)) ctx.release(x);
  });

  it('plans the chunk within the scratch budget', async () => {
    const ctx = await testContext();
    expect(crossEntropyChunkSize(ctx, { maxTokens: 2048, vocab: 49152 })).toBe(8192);
    expect(crossEntropyChunkSize(ctx, { maxTokens: 4096, vocab: 49152 })).toBe(4096);
    expect(crossEntropyChunkSize(ctx, { maxTokens: 3000, vocab: 49152, maxScratchBytes: 2 ** 24 })).toBe(1344);
    expect(crossEntropyChunkSize(ctx, { maxTokens: 16, vocab: 50 })).toBe(50);
    // The whole vocabulary when it fits (the backward then reuses the forward's logits), even if V % 64 ≠ 0.
    expect(crossEntropyChunkSize(ctx, { maxTokens: 256, vocab: 49152 })).toBe(49152);
    expect(crossEntropyChunkSize(ctx, { maxTokens: 256, vocab: 32001 })).toBe(32001);
    expect(crossEntropyChunkSize(ctx, { maxTokens: 256, vocab: 49152, chunk: 8192 })).toBe(8192);
  });

  it('refuses mismatched shapes and dtypes, naming the kernel', async () => {
    const ctx = await testContext();
    const hidden = ctx.tensor([4, 8]);
    const weight = ctx.tensor([30, 8]);
    const args = {
      hidden,
      weight,
      labels: ctx.tensor([4], 'i32'),
      losses: ctx.tensor([4]),
      stats: ctx.tensor([4, 3]),
      logitsChunk: ctx.tensor([4, 16]),
      metrics: ctx.tensor([3]),
    };
    expect(() => crossEntropyForward(ctx, { ...args, labels: ctx.tensor([4], 'f32') })).toThrow(
      /cross_entropy_forward: labels .* must be i32/,
    );
    expect(() => crossEntropyForward(ctx, { ...args, weight: ctx.tensor([30, 7]) })).toThrow(
      /cross_entropy_forward: weight .* should be \[V×8\]/,
    );
    expect(() => crossEntropyForward(ctx, { ...args, metricsIndex: 1 })).toThrow(/room for 3 values at index 1/);
    expect(() => crossEntropyForward(ctx, { ...args, stats: ctx.tensor([3, 3]) })).toThrow(/stats .* \[≥4×3\]/);
    expect(() =>
      crossEntropyBackward(ctx, { ...args, dHidden: ctx.tensor([4, 8]), gradScale: Number.NaN }),
    ).toThrow(/cross_entropy_backward: gradScale NaN/);
    expect(() => crossEntropyBackward(ctx, { ...args, dHidden: ctx.tensor([5, 8]), gradScale: 1 })).toThrow(
      /cross_entropy_backward: dHidden/,
    );
  });
});
