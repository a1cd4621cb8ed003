import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../context';
import { Tensor } from '../tensor';
import { assertClose, type Tolerance } from '../testing/compare';
import { layoutContext, testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { loraExpandForward, loraShrinkForward, NO_SLOT, packSlotTable, type LoraSlot } from './lora_slots';
import { loraExpandForwardRef, loraShrinkForwardRef, type LoraSlotsLayout } from './lora_slots.ref';

interface Case {
  inFeatures: number;
  outFeatures: number;
  ranks: number[];
  scales: number[];
  rowSlot: number[];
}

const N = NO_SLOT;
// Three slots, one of rank 0 (it does not adapt this projection), rows of every slot and base rows in mixed order:
// widths no workgroup or vector divides, then SmolLM-135M's q width (576) into its k/v width (192).
const CASES: Case[] = [
  { inFeatures: 67, outFeatures: 45, ranks: [8, 4, 0], scales: [2, 0.5, 1.5], rowSlot: [1, N, 0, 2, 0, 1, N] },
  { inFeatures: 576, outFeatures: 192, ranks: [16, 8, 1], scales: [0.125, 2, 16], rowSlot: [2, 0, N, 1, 1, 0, N, 2, 0] },
];
const title = (c: Case) => `in=${c.inFeatures} out=${c.outFeatures} ranks ${c.ranks.join('/')} M=${c.rowSlot.length}`;
const NAMED = CASES.map((c) => [title(c), c] as const);

/**
 * Worst-case bound of f32 summation, as matmul.test.ts takes it: (terms + 8)·2⁻²⁴·Σ|products| at the largest
 * Σ|products| of the result; a wrong offset or a dropped term is far outside it.
 */
function summationTolerance(absProducts: ArrayLike<number>, terms: number): Tolerance {
  let max = 0;
  for (let i = 0; i < absProducts.length; i++) max = Math.max(max, absProducts[i]);
  return { atol: (terms + 8) * 2 ** -24 * max, rtol: 0 };
}
const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);
const absSlots = (slots: LoraSlot[]): LoraSlot[] => slots.map((slot) => ({ ...slot, scale: Math.abs(slot.scale) }));

/** The slots laid compactly in order, and their GPU tensors; the stack is a view 256 bytes into a larger buffer. */
function setup(ctx: GpuContext, c: Case, seed: number) {
  let offset = 0;
  const slots: LoraSlot[] = c.ranks.map((rank, s) => {
    const slot = { rank, offset, scale: c.scales[s] };
    offset += rank;
    return slot;
  });
  const layout: LoraSlotsLayout = {
    inFeatures: c.inFeatures,
    outFeatures: c.outFeatures,
    rMax: Math.max(1, ...c.ranks),
    totalRank: offset,
  };
  const m = c.rowSlot.length;
  const stackData = randomArray(layout.totalRank * (c.inFeatures + c.outFeatures), seed, 0.5);
  const backing = ctx.tensor([64 + stackData.length], 'f32', 'stack backing', randomArray(64 + stackData.length, seed + 1, 9));
  const stack = new Tensor(backing.buffer, [stackData.length], 'f32', 'stack', 256);
  ctx.write(stack, stackData);
  const rowSlot = Uint32Array.from(c.rowSlot);
  return {
    slots,
    layout,
    m,
    stackData,
    rowSlot,
    backing,
    stack,
    table: ctx.tensor([slots.length * 4], 'u32', 'table', packSlotTable(slots)),
    rowSlotT: ctx.tensor([m], 'u32', 'rowSlot', rowSlot),
  };
}

/** Rows the expand must leave bit for bit: no adapter, or a slot of rank 0. */
const unadapted = (c: Case) => c.rowSlot.flatMap((s, m) => (s === N || c.ranks[s] === 0 ? [m] : []));

// Kernels under test: lora_shrink_forward in both of its layouts (SwiftShader: `per_pair`, a thread per (row,
// rank) pair; a GPU: a workgroup of 64 per pair, spliced with row_grid and workgroup_sum), and lora_expand_forward
// (spliced with linear_grid).
describe.each(['software', 'gpu'] as const)('multi-adapter LoRA shrink in the %s layout', (layout) => {
  it.each(NAMED)('matches the reference and zeroes ranks past r_s and base rows: %s', async (_, c) => {
    const ctx = await layoutContext(layout);
    const s = setup(ctx, c, 1);
    const x = randomArray(s.m * c.inFeatures, 3, 2);
    const tx = ctx.tensor([s.m, c.inFeatures], 'f32', 'x', x);
    // Stale values, so a pair that should be written as 0 but is skipped shows.
    const u = ctx.tensor([s.m, s.layout.rMax], 'f32', 'u', randomArray(s.m * s.layout.rMax, 4, 7));
    loraShrinkForward(ctx, tx, s.stack, s.table, s.rowSlotT, u, { totalRank: s.layout.totalRank });
    const got = await ctx.read(u);
    const ref = loraShrinkForwardRef(x, s.stackData, s.slots, s.rowSlot, s.layout);
    const tol = summationTolerance(loraShrinkForwardRef(abs(x), abs(s.stackData), s.slots, s.rowSlot, s.layout), c.inFeatures);
    assertClose(got, ref, tol, `u ${title(c)}`);
    for (let m = 0; m < s.m; m++) {
      const rank = c.rowSlot[m] === N ? 0 : c.ranks[c.rowSlot[m]];
      expect(Array.from(got.subarray(m * s.layout.rMax + rank, (m + 1) * s.layout.rMax)).every((v) => v === 0)).toBe(true);
    }
    for (const t of [s.backing, s.table, s.rowSlotT, tx, u]) ctx.release(t);
  });
});

describe('multi-adapter LoRA expand', () => {
  it.each(NAMED)('accumulates onto y as the reference does, leaving unadapted rows bit for bit: %s', async (_, c) => {
    const ctx = await testContext();
    const s = setup(ctx, c, 5);
    const { rMax, totalRank } = s.layout;
    // Values past each row's rank too: the expand must not read them.
    const uData = randomArray(s.m * rMax, 6, 2);
    const y0 = randomArray(s.m * c.outFeatures, 7, 3);
    const u = ctx.tensor([s.m, rMax], 'f32', 'u', uData);
    const y = ctx.tensor([s.m, c.outFeatures], 'f32', 'y', y0);
    loraExpandForward(ctx, u, s.stack, s.table, s.rowSlotT, y, { totalRank });
    const got = await ctx.readF32(y);
    const ref = loraExpandForwardRef(y0, uData, s.stackData, s.slots, s.rowSlot, s.layout);
    const bound = loraExpandForwardRef(abs(y0), abs(uData), abs(s.stackData), absSlots(s.slots), s.rowSlot, s.layout);
    assertClose(got, ref, summationTolerance(bound, rMax + 2), `y ${title(c)}`);
    const rows = unadapted(c);
    expect(rows.length).toBeGreaterThan(0);
    for (const m of rows) {
      const row = (a: Float32Array) => Array.from(a.subarray(m * c.outFeatures, (m + 1) * c.outFeatures));
      expect(row(got), `row ${m}`).toEqual(row(y0));
    }
    for (const t of [s.backing, s.table, s.rowSlotT, u, y]) ctx.release(t);
  });

  it('after the shrink gives x·A_sᵀ·B_sᵀ·c_s per row, as the references chained', async () => {
    const c = CASES[0];
    const ctx = await testContext();
    const s = setup(ctx, c, 8);
    const x = randomArray(s.m * c.inFeatures, 9);
    const y0 = randomArray(s.m * c.outFeatures, 10);
    const u = ctx.tensor([s.m, s.layout.rMax], 'f32', 'u');
    const y = ctx.tensor([s.m, c.outFeatures], 'f32', 'y', y0);
    const tx = ctx.tensor([s.m, c.inFeatures], 'f32', 'x', x);
    loraShrinkForward(ctx, tx, s.stack, s.table, s.rowSlotT, u, { totalRank: s.layout.totalRank });
    loraExpandForward(ctx, u, s.stack, s.table, s.rowSlotT, y, { totalRank: s.layout.totalRank });
    const uRef = loraShrinkForwardRef(x, s.stackData, s.slots, s.rowSlot, s.layout);
    const ref = loraExpandForwardRef(y0, uRef, s.stackData, s.slots, s.rowSlot, s.layout);
    // The shrink's rounding carries through the expand's products: one bound over both sums' terms.
    const uAbs = loraShrinkForwardRef(abs(x), abs(s.stackData), s.slots, s.rowSlot, s.layout);
    const bound = loraExpandForwardRef(abs(y0), uAbs, abs(s.stackData), absSlots(s.slots), s.rowSlot, s.layout);
    assertClose(await ctx.read(y), ref, summationTolerance(bound, c.inFeatures + s.layout.rMax + 2), 'y');
    for (const t of [s.backing, s.table, s.rowSlotT, tx, u, y]) ctx.release(t);
  });

  it('refuses mismatched shapes and aliased outputs, naming the kernel and the tensor', async () => {
    const ctx = await testContext();
    const x = ctx.tensor([3, 5]);
    const u = ctx.tensor([3, 2]);
    const y = ctx.tensor([3, 4]);
    const stack = ctx.tensor([2 * (5 + 4)]);
    const table = ctx.tensor([4], 'u32');
    const rowSlot = ctx.tensor([3], 'u32');
    const options = { totalRank: 2 };
    expect(() => loraShrinkForward(ctx, x, stack, table, rowSlot, ctx.tensor([2, 2]), options)).toThrow(/lora_shrink_forward: u .* expected \[3×N:f32\]/);
    expect(() => loraShrinkForward(ctx, x, stack, table, ctx.tensor([3]), u, options)).toThrow(/lora_shrink_forward: rowSlot .* expected \[3:u32\]/);
    expect(() => loraShrinkForward(ctx, x, stack, ctx.tensor([6], 'u32'), rowSlot, u, options)).toThrow(/lora_shrink_forward: table .* 4 u32 words per slot/);
    expect(() => loraShrinkForward(ctx, x, ctx.tensor([9]), table, rowSlot, u, options)).toThrow(/lora_shrink_forward: stack .* at least 10 f32/);
    expect(() => loraShrinkForward(ctx, x, stack, table, rowSlot, stack.view([3, 2]), options)).toThrow(/lora_shrink_forward: u .* shares a buffer with stack/);
    expect(() => loraExpandForward(ctx, u, ctx.tensor([7]), table, rowSlot, y, options)).toThrow(/lora_expand_forward: stack .* at least 8 f32/);
    expect(() => loraExpandForward(ctx, u, ctx.tensor([17]), table, rowSlot, y, options)).toThrow(/lora_expand_forward: stack .* 2·\(in \+ 4\) f32/);
    expect(() => loraExpandForward(ctx, u, stack, table, rowSlot, ctx.tensor([3, 4], 'u32'), options)).toThrow(/lora_expand_forward: y .* expected \[3×N:f32\]/);
    expect(() => loraExpandForward(ctx, u, stack, table, rowSlot, u, options)).toThrow(/lora_expand_forward: y .* shares a buffer with u/);
    expect(() => loraExpandForward(ctx, u, stack, table, rowSlot, y, { totalRank: 1.5 })).toThrow(/lora_expand_forward: totalRank/);
    expect(() => packSlotTable([{ rank: -1, offset: 0, scale: 1 }])).toThrow(/slot 0/);
  });
});
