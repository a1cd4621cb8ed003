import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../context';
import type { Tensor } from '../tensor';
import { assertClose, dot, finiteDifference, maxRelativeError } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray, randomInts } from '../testing/random';
import { type AttentionTiles, attentionBackward, attentionForward } from './attention';
import { type AttentionRefShape, attentionBackwardRef, attentionForwardRef, packedSeqStart } from './attention.ref';

interface Case {
  name: string;
  T: number;
  Hq: number;
  Hkv: number;
  D: number;
  /** Lengths of the packed sequences (default: one sequence). */
  lengths?: number[];
  qOffset?: number;
  /** Keys held, ≥ qOffset + T (a KV cache may be larger than what is in use). */
  Tk?: number;
  /** First key of the (single) sequence when decoding: the cache may start with an earlier sequence. */
  start?: number;
  scale?: number;
  tiles?: Partial<AttentionTiles>;
}

const STORIES = { Hq: 8, Hkv: 4, D: 8 };
const TRAINING_CASES: Case[] = [
  { name: 'stories260K T=7', T: 7, ...STORIES },
  { name: 'stories260K T=33', T: 33, ...STORIES },
  // Tiles that divide nothing: a row tile splits one query's heads, key tiles end mid-sequence.
  { name: 'stories260K T=33, 3-row × 5-key tiles', T: 33, ...STORIES, tiles: { rows: 3, keys: 5 } },
  { name: 'SmolLM2-like Hq=9 Hkv=3 D=64 T=19', T: 19, Hq: 9, Hkv: 3, D: 64 },
  { name: 'MHA Hq=Hkv=4, D=6 (not a multiple of 4), scale 0.3', T: 10, Hq: 4, Hkv: 4, D: 6, scale: 0.3 },
  { name: 'packed batch of 5+9+3', T: 17, Hq: 4, Hkv: 2, D: 8, lengths: [5, 9, 3] },
  // Small tiles so that attention_backward_kv skips query tiles of other sequences.
  { name: 'packed 6+1+4, 4×4 tiles', T: 11, Hq: 4, Hkv: 1, D: 12, lengths: [6, 1, 4], tiles: { rows: 4, keys: 4 } },
  { name: 'T=1', T: 1, ...STORIES },
  { name: 'D=128', T: 5, Hq: 2, Hkv: 1, D: 128 },
];
const DECODE_CASES: Case[] = [
  { name: 'decode 3 queries after 6 keys, sequence from key 2', T: 3, Hq: 9, Hkv: 3, D: 16, qOffset: 6, start: 2 },
  { name: 'decode 1 query after 20 keys in a 24-key cache', T: 1, ...STORIES, qOffset: 20, Tk: 24, tiles: { keys: 8 } },
];

// f32 against float64 on O(1) values: the error is a few roundings of sums over ≤ 33 keys and ≤ 128 dims.
const FORWARD_TOL = { atol: 2e-6, rtol: 2e-5 };
// Gradients sum more products, and dS subtracts two nearly equal numbers (dP − delta).
const BACKWARD_TOL = { atol: 1e-5, rtol: 1e-4 };
const FD_REL = 1e-4;
// Relative to at least 1e-3: with one visible key the true dQ and dK are 0, and f32 leaves O(1e-8) of the
// dP − delta cancellation.
const FD_FLOOR = 1e-3;

function refShape(c: Case): AttentionRefShape {
  const qOffset = c.qOffset ?? 0;
  return {
    T: c.T,
    Tk: c.Tk ?? qOffset + c.T,
    Hq: c.Hq,
    Hkv: c.Hkv,
    D: c.D,
    qOffset,
    scale: c.scale ?? 1 / Math.sqrt(c.D),
  };
}

function inputs(c: Case, seed: number) {
  const s = refShape(c);
  const seqStart = c.lengths ? packedSeqStart(c.lengths) : new Uint32Array(c.T).fill(c.start ?? 0);
  return {
    shape: s,
    seqStart,
    // q larger than k so some rows are peaked and some flat.
    q: randomArray(s.T * s.Hq * s.D, seed, 2),
    k: randomArray(s.Tk * s.Hkv * s.D, seed + 1, 1.5),
    v: randomArray(s.Tk * s.Hkv * s.D, seed + 2),
    dOut: randomArray(s.T * s.Hq * s.D, seed + 3),
  };
}

type Inputs = ReturnType<typeof inputs>;

async function runForward(ctx: GpuContext, c: Case, x: Inputs) {
  const s = x.shape;
  const t = {
    q: ctx.tensor([s.T, s.Hq, s.D], 'f32', 'q', x.q),
    k: ctx.tensor([s.Tk, s.Hkv, s.D], 'f32', 'k', x.k),
    v: ctx.tensor([s.Tk, s.Hkv, s.D], 'f32', 'v', x.v),
    out: ctx.tensor([s.T, s.Hq, s.D], 'f32', 'out'),
    lse: ctx.tensor([s.Hq, s.T], 'f32', 'lse'),
    seqStart: ctx.tensor([s.T], 'u32', 'seqStart', x.seqStart),
  };
  attentionForward(ctx, { ...t, qOffset: s.qOffset, scale: c.scale, tiles: c.tiles });
  return t;
}

function release(ctx: GpuContext, tensors: Record<string, Tensor>): void {
  for (const t of Object.values(tensors)) ctx.release(t);
}

/** Every element of small tensors, ~120 of larger ones. */
function probes(n: number, seed: number): number[] | undefined {
  return n <= 240 ? undefined : Array.from(new Set(randomInts(120, n, seed)));
}

function pick(values: ArrayLike<number>, indices: number[] | undefined): number[] {
  return indices ? indices.map((i) => values[i]) : Array.from(values);
}

// Kernels under test: attention_forward, and attention_backward_delta, attention_backward_q and
// attention_backward_kv through attentionBackward; with the pieces they splice in: attention_head_rows (all three
// row kernels), attention_query_block (forward and dQ) and linear_grid (delta).
describe('attention', () => {
  it.each([...TRAINING_CASES, ...DECODE_CASES])('forward matches the CPU reference: $name', async (c) => {
    const ctx = await testContext();
    const x = inputs(c, 11);
    const t = await runForward(ctx, c, x);
    const ref = attentionForwardRef(x.q, x.k, x.v, x.seqStart, x.shape);
    assertClose(await ctx.read(t.out), ref.out, FORWARD_TOL, 'attention_forward out');
    assertClose(await ctx.read(t.lse), ref.lse, FORWARD_TOL, 'attention_forward lse');
    release(ctx, t);
  });

  it('forward never attends across packed sequences', async () => {
    const ctx = await testContext();
    const c = TRAINING_CASES.find((x) => x.lengths)!;
    const x = inputs(c, 21);
    const first = await runForward(ctx, c, x);
    const before = await ctx.read(first.out);
    // New keys and values for the middle sequence only (tokens 5..13).
    const rowWidth = c.Hkv * c.D;
    const k2 = x.k.slice();
    const v2 = x.v.slice();
    k2.set(randomArray(9 * rowWidth, 99), 5 * rowWidth);
    v2.set(randomArray(9 * rowWidth, 98), 5 * rowWidth);
    const second = await runForward(ctx, c, { ...x, k: k2, v: v2 });
    const after = await ctx.read(second.out);
    const qWidth = c.Hq * c.D;
    for (const [from, to, changes] of [[0, 5, false], [5, 14, true], [14, 17, false]] as const) {
      const a = before.slice(from * qWidth, to * qWidth);
      const b = after.slice(from * qWidth, to * qWidth);
      expect(a.some((value, i) => value !== b[i]), `tokens ${from}..${to - 1} changed`).toBe(changes);
    }
    release(ctx, first);
    release(ctx, second);
  });

  it.each(TRAINING_CASES)('backward matches the analytic reference and finite differences: $name', async (c) => {
    const ctx = await testContext();
    const x = inputs(c, 31);
    const s = x.shape;
    const fwd = await runForward(ctx, c, x);
    const grads = {
      dOut: ctx.tensor([s.T, s.Hq, s.D], 'f32', 'dOut', x.dOut),
      dQ: ctx.tensor([s.T, s.Hq, s.D], 'f32', 'dQ'),
      dK: ctx.tensor([s.T, s.Hkv, s.D], 'f32', 'dK'),
      dV: ctx.tensor([s.T, s.Hkv, s.D], 'f32', 'dV'),
    };
    attentionBackward(ctx, { ...fwd, ...grads, scale: c.scale, tiles: c.tiles });
    const got = { dQ: await ctx.read(grads.dQ), dK: await ctx.read(grads.dK), dV: await ctx.read(grads.dV) };
    const ref = attentionBackwardRef(x.q, x.k, x.v, x.dOut, x.seqStart, s);

    const lossOf = (which: 'q' | 'k' | 'v') => (probe: Float64Array) => {
      const args = { q: x.q as ArrayLike<number>, k: x.k as ArrayLike<number>, v: x.v as ArrayLike<number> };
      args[which] = probe;
      return dot(x.dOut, attentionForwardRef(args.q, args.k, args.v, x.seqStart, s).out);
    };
    for (const [name, input, which] of [['dQ', x.q, 'q'], ['dK', x.k, 'k'], ['dV', x.v, 'v']] as const) {
      assertClose(got[name], ref[name], BACKWARD_TOL, `attention_backward ${name}`);
      const indices = probes(input.length, 41);
      const fd = pick(finiteDifference(lossOf(which), input, 1e-5, indices), indices);
      const refError = maxRelativeError(pick(ref[name], indices), fd);
      expect(refError, `reference ${name} vs finite differences`).toBeLessThan(1e-6);
      const gpuError = maxRelativeError(pick(got[name], indices), fd, FD_FLOOR);
      expect(gpuError, `GPU ${name} vs finite differences`).toBeLessThan(FD_REL);
    }
    release(ctx, fwd);
    release(ctx, grads);
  });

  it('backward is deterministic and keeps packed sequences apart', async () => {
    const ctx = await testContext();
    const c = TRAINING_CASES.find((x) => x.lengths)!;
    const x = inputs(c, 51);
    // No upstream gradient on the middle sequence (tokens 5..13): its keys and values must get exactly 0.
    const qWidth = c.Hq * c.D;
    x.dOut.fill(0, 5 * qWidth, 14 * qWidth);
    const s = x.shape;
    const fwd = await runForward(ctx, c, x);
    const dOut = ctx.tensor([s.T, s.Hq, s.D], 'f32', 'dOut', x.dOut);
    const stats = ctx.tensor([s.Hq, s.T, 2], 'f32', 'stats');
    const runs: Float32Array[][] = [];
    for (let run = 0; run < 2; run++) {
      const dQ = ctx.tensor([s.T, s.Hq, s.D], 'f32', 'dQ');
      const dK = ctx.tensor([s.T, s.Hkv, s.D], 'f32', 'dK');
      const dV = ctx.tensor([s.T, s.Hkv, s.D], 'f32', 'dV');
      attentionBackward(ctx, { ...fwd, dOut, dQ, dK, dV, stats });
      runs.push([await ctx.readF32(dQ), await ctx.readF32(dK), await ctx.readF32(dV)]);
      release(ctx, { dQ, dK, dV });
    }
    for (let g = 0; g < 3; g++) expect(runs[1][g]).toEqual(runs[0][g]);
    const kvWidth = c.Hkv * c.D;
    for (const grad of [runs[0][1], runs[0][2]]) {
      expect(Array.from(grad.slice(5 * kvWidth, 14 * kvWidth)).every((g) => g === 0)).toBe(true);
      expect(grad.slice(0, 5 * kvWidth).some((g) => g !== 0)).toBe(true);
    }
    release(ctx, fwd);
    release(ctx, { dOut, stats });
  });

  it('refuses bad shapes, naming the kernel and the values', async () => {
    const ctx = await testContext();
    const q = ctx.tensor([4, 6, 8]);
    const k = ctx.tensor([4, 4, 8]);
    const kv = ctx.tensor([4, 2, 8]);
    const out = ctx.tensor([4, 6, 8]);
    const lse = ctx.tensor([6, 4]);
    const seqStart = ctx.tensor([4], 'u32');
    const seqStartF32 = ctx.tensor([4], 'f32');
    const base = { q, k: kv, v: kv, out, lse, seqStart };
    expect(() => attentionForward(ctx, { ...base, k, v: k })).toThrow(
      /attention_forward: query heads Hq=6 must be a multiple of kv heads Hkv=4/,
    );
    expect(() => attentionForward(ctx, { ...base, seqStart: seqStartF32 })).toThrow(
      /attention_forward: seqStart is tensor\[4:f32\], expected \[4:u32\]/,
    );
    expect(() => attentionForward(ctx, { ...base, qOffset: 1 })).toThrow(/fewer than qOffset \+ T = 1 \+ 4/);
    expect(() => attentionForward(ctx, { ...base, out: q })).toThrow(/out .* shares a buffer with q/);
    const d = ctx.tensor([4, 6, 8]);
    expect(() =>
      attentionBackward(ctx, { ...base, dOut: d, dQ: d, dK: kv, dV: kv }),
    ).toThrow(/attention_backward: dQ .* shares a buffer/);
    for (const t of [q, k, kv, out, lse, seqStart, seqStartF32, d]) ctx.release(t);
  });
});
