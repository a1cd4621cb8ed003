/**
 * Multi-adapter LoRA on one projection W [out, in] (Punica's BGMV): several adapters ("slots") stacked in one
 * buffer, and every row of a batch gathers its own. The shrink u = x · A_sᵀ, then the expand y += c_s · u · B_sᵀ,
 * s = rowSlot[m]; a row with no adapter (NO_SLOT), or of a slot of rank 0, keeps the y the base product left.
 *
 * Shapes: x [M, in] f32; u [M, rMax] f32 (rMax ≥ 1 and ≥ every r_s); y [M, out] f32; rowSlot [M] u32 (a slot, or
 * NO_SLOT); table [S·4] u32, slot s at 4s: r_s, o_s (the sum of the ranks stored before it), bitcast<u32>(c_s), 0
 * (packSlotTable); stack [R·(in + out)] f32: A_s [r_s, in] at o_s·in, then B_s [out, r_s] at R·in + o_s·out,
 * R = totalRank.
 * An output must not share a buffer with an input.
 */
import linearGridWgsl from '../../shaders/linear_grid.wgsl?raw';
import loraExpandForwardWgsl from '../../shaders/lora_expand_forward.wgsl?raw';
import loraShrinkForwardWgsl from '../../shaders/lora_shrink_forward.wgsl?raw';
import rowGridWgsl from '../../shaders/row_grid.wgsl?raw';
import workgroupSumWgsl from '../../shaders/workgroup_sum.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { isSoftwareAdapter } from '../device';
import { spliceWgsl } from './splice';

// Each (row, rank) pair of the shrink is a row of row_grid.wgsl, so grids past 65,535 pairs fold as RMSNorm's do.
const SHRINK_WGSL = spliceWgsl(loraShrinkForwardWgsl, rowGridWgsl, workgroupSumWgsl);
const EXPAND_WGSL = spliceWgsl(loraExpandForwardWgsl, linearGridWgsl);
/** Threads per (row, rank) pair on a GPU, a power of two: `in` is a few hundred to a few thousand features. */
const GPU_SHRINK_THREADS = 64;
/** Pairs (a thread each) per workgroup on a CPU implementation: a decode batch's pairs in one or two workgroups. */
const SOFTWARE_PAIRS_PER_GROUP = 64;
const EXPAND_WORKGROUP = 256;

/** rowSlot's value for a row that no adapter changes (a base-model row of a mixed batch). */
export const NO_SLOT = 0xffffffff;

/** One adapter of the stack as the table describes it. */
export interface LoraSlot {
  /** r_s; 0 when this slot does not adapt the projection. */
  rank: number;
  /** o_s, in ranks: the sum of the ranks of the slots stored before it. */
  offset: number;
  /** c_s (alpha / rank), rounded to f32. */
  scale: number;
}

/** The u32 table the kernels read: four words a slot, the scale's f32 bits in the third. */
export function packSlotTable(slots: readonly LoraSlot[]): Uint32Array {
  const words = new Uint32Array(slots.length * 4);
  const floats = new Float32Array(words.buffer);
  slots.forEach(({ rank, offset, scale }, s) => {
    if (!Number.isInteger(rank) || rank < 0 || !Number.isInteger(offset) || offset < 0 || !Number.isFinite(scale)) {
      throw new GpuError(`lora slot table: slot ${s} has rank ${rank}, offset ${offset}, scale ${scale}`);
    }
    words[4 * s] = rank;
    words[4 * s + 1] = offset;
    floats[4 * s + 2] = scale;
  });
  return words;
}

function expectMatrix(kernel: string, role: string, t: Tensor, rows: number, cols?: number): number {
  if (t.dtype !== 'f32' || t.shape.length !== 2 || t.shape[0] !== rows || (cols !== undefined && t.shape[1] !== cols)) {
    throw new GpuError(`${kernel}: ${role} is ${t}, expected [${rows}×${cols ?? 'N'}:f32]`);
  }
  return t.shape[1];
}

/**
 * Checks the slot arguments common to both kernels; returns S. The table's contents live on the GPU, so that every
 * r_s ≤ rMax and the A and B regions fit in `stackFloats` is the caller's to keep (the kernels stay in bounds).
 */
function checkSlots(
  kernel: string,
  stack: Tensor,
  table: Tensor,
  rowSlot: Tensor,
  rows: number,
  totalRank: number,
  stackFloats: number,
): number {
  if (!Number.isInteger(totalRank) || totalRank < 0) {
    throw new GpuError(`${kernel}: totalRank must be a whole number ≥ 0, got ${totalRank}`);
  }
  if (table.dtype !== 'u32' || table.size === 0 || table.size % 4 !== 0) {
    throw new GpuError(`${kernel}: table is ${table}, expected 4 u32 words per slot`);
  }
  if (rowSlot.dtype !== 'u32' || rowSlot.shape.length !== 1 || rowSlot.shape[0] !== rows) {
    throw new GpuError(`${kernel}: rowSlot is ${rowSlot}, expected [${rows}:u32]`);
  }
  if (stack.dtype !== 'f32' || stack.size < stackFloats) {
    throw new GpuError(`${kernel}: stack is ${stack}, expected at least ${stackFloats} f32 values for total rank ${totalRank}`);
  }
  return table.size / 4;
}

function expectDistinct(kernel: string, inputs: Record<string, Tensor>, out: string, output: Tensor): void {
  for (const [role, t] of Object.entries(inputs)) {
    if (t.buffer === output.buffer) throw new GpuError(`${kernel}: ${out} ${output} shares a buffer with ${role} ${t}`);
  }
}

/** u[m, t] = Σ_i x[m, i] · A_s[t, i] for t < r_s, else 0 (and 0 for a NO_SLOT row). x [M, in], u [M, rMax]. */
export function loraShrinkForward(
  ctx: GpuContext,
  x: Tensor,
  stack: Tensor,
  table: Tensor,
  rowSlot: Tensor,
  u: Tensor,
  options: { totalRank: number },
): void {
  const kernel = 'lora_shrink_forward';
  if (x.shape.length !== 2) throw new GpuError(`${kernel}: x ${x} must be [M, in]`);
  const [rows, inFeatures] = x.shape;
  expectMatrix(kernel, 'x', x, rows, inFeatures);
  const rMax = expectMatrix(kernel, 'u', u, rows);
  if (rMax < 1) throw new GpuError(`${kernel}: u ${u} needs rMax ≥ 1 columns`);
  const slots = checkSlots(kernel, stack, table, rowSlot, rows, options.totalRank, options.totalRank * inFeatures);
  expectDistinct(kernel, { x, stack, table, rowSlot }, 'u', u);
  const pairs = rows * rMax;
  if (pairs === 0) return;
  const params = new Params().u32(pairs).u32(rMax).u32(inFeatures).u32(slots);
  const bindings = [x, stack, table, rowSlot, u];
  if (isSoftwareAdapter(ctx.report)) {
    const pipeline = ctx.kernel({ name: kernel, code: SHRINK_WGSL, entryPoint: 'per_pair', constants: { WORKGROUP_SIZE: SOFTWARE_PAIRS_PER_GROUP } });
    ctx.dispatch(pipeline, params, bindings, linearGrid(pairs, SOFTWARE_PAIRS_PER_GROUP));
    return;
  }
  const pipeline = ctx.kernel({ name: kernel, code: SHRINK_WGSL, constants: { WORKGROUP_SIZE: GPU_SHRINK_THREADS } });
  ctx.dispatch(pipeline, params, bindings, linearGrid(pairs, 1));
}

/**
 * y[m, col] += c_s · Σ_{t<r_s} u[m, t] · B_s[col, t]; a NO_SLOT row or one of rank 0 is left as it was. u [M, rMax],
 * y [M, out]. The B region starts after R·in values, and the expand has no x to give `in`: it is the rest of the
 * stack, which must hold exactly R·(in + out) values.
 */
export function loraExpandForward(
  ctx: GpuContext,
  u: Tensor,
  stack: Tensor,
  table: Tensor,
  rowSlot: Tensor,
  y: Tensor,
  options: { totalRank: number },
): void {
  const kernel = 'lora_expand_forward';
  const { totalRank } = options;
  if (u.shape.length !== 2) throw new GpuError(`${kernel}: u ${u} must be [M, rMax]`);
  const [rows, rMax] = u.shape;
  expectMatrix(kernel, 'u', u, rows, rMax);
  if (rMax < 1) throw new GpuError(`${kernel}: u ${u} needs rMax ≥ 1 columns`);
  const outFeatures = expectMatrix(kernel, 'y', y, rows);
  const slots = checkSlots(kernel, stack, table, rowSlot, rows, totalRank, totalRank * outFeatures);
  // With no rank at all nothing is read from the stack, and `in` does not matter.
  const inFeatures = totalRank === 0 ? 0 : stack.size / totalRank - outFeatures;
  if (!Number.isInteger(inFeatures)) {
    throw new GpuError(`${kernel}: stack is ${stack}, expected ${totalRank}·(in + ${outFeatures}) f32 values for total rank ${totalRank}`);
  }
  expectDistinct(kernel, { u, stack, table, rowSlot }, 'y', y);
  const count = rows * outFeatures;
  if (count === 0) return;
  const pipeline = ctx.kernel({ name: kernel, code: EXPAND_WGSL, constants: { WORKGROUP_SIZE: EXPAND_WORKGROUP } });
  const params = new Params().u32(count).u32(outFeatures).u32(inFeatures).u32(rMax).u32(totalRank).u32(slots);
  ctx.dispatch(pipeline, params, [u, stack, table, rowSlot, y], linearGrid(count, EXPAND_WORKGROUP));
}
