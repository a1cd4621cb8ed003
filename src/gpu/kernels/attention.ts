/**
 * Causal self-attention with grouped-query heads (GQA), streamed FlashAttention-style: the forward keeps a
 * running max and sum per row (online softmax) and saves only the log-sum-exp; the backward recomputes the
 * probabilities from it.
 *
 * Shapes (row-major, f32 unless noted):
 *   q, out, dOut, dQ  [T, Hq, D]      T queries, Hq query heads, head dim D
 *   k, v, dK, dV      [Tk, Hkv, D]    Hq is a multiple of Hkv; query head h reads kv head ⌊h / (Hq/Hkv)⌋
 *   lse               [Hq, T]         log Σ_j exp(s_ij) per (head, query), written by the forward
 *   seqStart          [T] u32         key index of the first token of query i's sequence (packed batches)
 *   stats             [Hq, T, 2]      backward scratch: (lse, rowsum(dOut∘out)) per row
 * Query i is at key position qOffset + i and attends to keys j with seqStart[i] ≤ j ≤ qOffset + i.
 * Training uses qOffset = 0 and Tk = T; decoding passes the KV-cache length as qOffset (Tk ≥ qOffset + T).
 *
 * Kernels: attention_forward; backward = attention_backward_delta (stats), attention_backward_q (dQ, parallel
 * over query rows) and attention_backward_kv (dK, dV, parallel over keys): every gradient element has one
 * writer, so the backward is deterministic without float atomics.
 */
import attentionBackwardDeltaWgsl from '../../shaders/attention_backward_delta.wgsl?raw';
import attentionBackwardKvWgsl from '../../shaders/attention_backward_kv.wgsl?raw';
import attentionBackwardQWgsl from '../../shaders/attention_backward_q.wgsl?raw';
import attentionForwardWgsl from '../../shaders/attention_forward.wgsl?raw';
import attentionHeadRowsWgsl from '../../shaders/attention_head_rows.wgsl?raw';
import attentionQueryBlockWgsl from '../../shaders/attention_query_block.wgsl?raw';
import linearGridWgsl from '../../shaders/linear_grid.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { DType, Tensor } from '../tensor';
import { Params } from '../uniforms';
import { spliceWgsl } from './splice';

// Forward and dQ walk key tiles for a block of query rows; dK/dV walk query tiles for a block of keys.
const FORWARD_WGSL = spliceWgsl(attentionForwardWgsl, attentionQueryBlockWgsl, attentionHeadRowsWgsl);
const BACKWARD_Q_WGSL = spliceWgsl(attentionBackwardQWgsl, attentionQueryBlockWgsl, attentionHeadRowsWgsl);
const BACKWARD_KV_WGSL = spliceWgsl(attentionBackwardKvWgsl, attentionHeadRowsWgsl);
const BACKWARD_DELTA_WGSL = spliceWgsl(attentionBackwardDeltaWgsl, linearGridWgsl);

/**
 * Tile sizes. Every kernel runs one thread per row of its own: attention_forward and attention_backward_q one
 * per (query, head) row, `rows` of them per workgroup, staging `keys` keys per step; attention_backward_kv one
 * per key, `keys` per workgroup, staging `rows` rows per step.
 */
export interface AttentionTiles {
  rows: number;
  keys: number;
}

export interface AttentionForwardArgs {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  out: Tensor;
  lse: Tensor;
  seqStart: Tensor;
  /** Key position of query 0: 0 in training, the KV-cache length when decoding. */
  qOffset?: number;
  /** Score scale; 1/√D by default. */
  scale?: number;
  /** Override the tile sizes (tests, benchmarks); by default the largest that fit the adapter. */
  tiles?: Partial<AttentionTiles>;
}

export interface AttentionBackwardArgs {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  out: Tensor;
  lse: Tensor;
  dOut: Tensor;
  dQ: Tensor;
  dK: Tensor;
  dV: Tensor;
  seqStart: Tensor;
  scale?: number;
  /** Scratch [Hq, T, 2] f32, planned with the activations; allocated and released per call when absent. */
  stats?: Tensor;
  tiles?: Partial<AttentionTiles>;
}

type AttentionKernel = 'attention_forward' | 'attention_backward_q' | 'attention_backward_kv';

/**
 * Threads per workgroup and rows (or keys) staged per step. A thread holds two to four head rows in registers
 * (MAX_HEAD_DIM bounds them: the WGSL's private arrays have 64 vec4s); staging 32 at a time fits 16 KiB of
 * workgroup memory at D = 64. The forward's per-thread score array holds MAX_STAGED_FORWARD keys.
 * Why one thread per row: on SwiftShader at SmolLM2-135M's shape (T = 256, Hq = 9, Hkv = 3, D = 64) it ran the
 * forward in 198 ms and the backward in 600 ms, against 471 and 1153 ms for the earlier layout (16 threads per
 * row, each owning a vec4 column, scores and the softmax's bookkeeping in workgroup memory, three barriers per
 * key tile); tile sizes from 16 to 128 changed either by under 10%. On a GPU the per-thread rows cost registers
 * (4·D floats in attention_backward_kv) and T·G/64 workgroups per kv head may not fill the device at short T:
 * to be measured there.
 */
const MAX_THREADED = 64;
const MAX_STAGED = 32;
const MAX_STAGED_FORWARD = 64;
export const MAX_HEAD_DIM = 256;
const DELTA_WORKGROUP_SIZE = 64;

/**
 * Workgroup memory each kernel declares, in bytes, for a given tile; mirrors the `var<workgroup>` lines of the
 * WGSL (vec4 rows of ⌈D/4⌉ and per-row u32/f32 bookkeeping) plus a little slack for padding.
 */
function sharedBytes(kernel: AttentionKernel, headVecs: number, { rows, keys }: AttentionTiles): number {
  const slack = 64;
  switch (kernel) {
    case 'attention_forward':
    case 'attention_backward_q':
      return 32 * keys * headVecs + 8 + slack;
    case 'attention_backward_kv':
      return 32 * rows * headVecs + 16 * rows + 4 + slack;
  }
}

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

function ceilPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

/**
 * The threaded dimension (rows for the row-parallel kernels, keys for attention_backward_kv) is as large as the
 * workgroup allows and the staged one as large as workgroup memory then allows, both capped by the work there is
 * (so decoding one token does not run a 64-row workgroup).
 */
function chooseTiles(
  ctx: GpuContext,
  kernel: AttentionKernel,
  headDim: number,
  threadedWork: number,
  stagedWork: number,
  requested: Partial<AttentionTiles> = {},
): AttentionTiles {
  const limits = ctx.device.limits;
  const headVecs = Math.ceil(headDim / 4);
  const maxThreads = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const memory = limits.maxComputeWorkgroupStorageSize;
  const threadedKey = kernel === 'attention_backward_kv' ? 'keys' : 'rows';
  const stagedKey = threadedKey === 'rows' ? 'keys' : 'rows';
  for (const [name, value] of Object.entries(requested)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new GpuError(`${kernel}: tile ${name} must be a positive integer, got ${value}`);
    }
  }
  const maxStaged = kernel === 'attention_forward' ? MAX_STAGED_FORWARD : Infinity;
  const wantThreaded = requested[threadedKey];
  const wantStaged = requested[stagedKey];
  if (wantStaged !== undefined && wantStaged > maxStaged) {
    throw new GpuError(`${kernel}: tile ${stagedKey} must be at most ${maxStaged}, got ${wantStaged}`);
  }
  const threadedCandidates = wantThreaded
    ? [wantThreaded]
    : pow2sDownFrom(Math.min(MAX_THREADED, floorPow2(maxThreads), ceilPow2(threadedWork)));
  const stagedCandidates = wantStaged ? [wantStaged] : pow2sDownFrom(Math.min(MAX_STAGED, ceilPow2(stagedWork)));
  for (const threaded of threadedCandidates) {
    for (const staged of stagedCandidates) {
      const tiles: AttentionTiles =
        threadedKey === 'rows' ? { rows: threaded, keys: staged } : { rows: staged, keys: threaded };
      if (threaded <= maxThreads && sharedBytes(kernel, headVecs, tiles) <= memory) return tiles;
    }
  }
  throw new GpuError(
    `${kernel}: no tile fits this adapter for head dim ${headDim} (requested ${JSON.stringify(requested)}; ` +
      `${maxThreads} invocations and ${memory} bytes of workgroup memory per workgroup)`,
  );
}

function pow2sDownFrom(n: number): number[] {
  const out: number[] = [];
  for (let p = floorPow2(n); p >= 1; p /= 2) out.push(p);
  return out;
}

function expectShape(kernel: string, role: string, t: Tensor, shape: readonly number[], dtype: DType = 'f32'): void {
  if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new GpuError(`${kernel}: ${role} is ${t}, expected [${shape.join('×')}:${dtype}]`);
  }
}

function expectDistinct(kernel: string, outputs: Record<string, Tensor>, inputs: Record<string, Tensor>): void {
  const all = Object.entries({ ...inputs, ...outputs });
  for (const [name, t] of Object.entries(outputs)) {
    for (const [other, u] of all) {
      if (other !== name && u.buffer === t.buffer) {
        throw new GpuError(`${kernel}: ${name} ${t} shares a buffer with ${other} ${u}`);
      }
    }
  }
}

/** Reads [T, Hq, D] and [Tk, Hkv, D] from q and k, checking what every attention kernel relies on. */
function headShapes(kernel: string, q: Tensor, k: Tensor) {
  if (q.shape.length !== 3) throw new GpuError(`${kernel}: q ${q} must be [T, Hq, D]`);
  if (k.shape.length !== 3) throw new GpuError(`${kernel}: k ${k} must be [Tk, Hkv, D]`);
  const [T, Hq, D] = q.shape;
  const [Tk, Hkv, Dk] = k.shape;
  if (Dk !== D) throw new GpuError(`${kernel}: head dims differ: q ${q}, k ${k}`);
  if (Hkv < 1 || Hq % Hkv !== 0) {
    throw new GpuError(`${kernel}: query heads Hq=${Hq} must be a multiple of kv heads Hkv=${Hkv}`);
  }
  if (D < 1) throw new GpuError(`${kernel}: head dim must be at least 1, got ${D}`);
  if (D > MAX_HEAD_DIM) {
    throw new GpuError(`${kernel}: head dim ${D} is above the ${MAX_HEAD_DIM} these kernels hold in registers`);
  }
  return { T, Hq, Hkv, D, Tk };
}

function checkScale(kernel: string, scale: number): void {
  if (!Number.isFinite(scale)) throw new GpuError(`${kernel}: scale must be finite, got ${scale}`);
}

/**
 * out = softmax(scale·q·kᵀ + causal/sequence mask)·v per query head, and lse = log-sum-exp of each row's scores.
 * q, out [T, Hq, D]; k, v [Tk, Hkv, D] with Tk ≥ qOffset + T; lse [Hq, T]; seqStart [T] u32.
 */
export function attentionForward(ctx: GpuContext, args: AttentionForwardArgs): void {
  const kernel = 'attention_forward';
  const { q, k, v, out, lse, seqStart, qOffset = 0 } = args;
  const { T, Hq, Hkv, D, Tk } = headShapes(kernel, q, k);
  const scale = args.scale ?? 1 / Math.sqrt(D);
  checkScale(kernel, scale);
  if (!Number.isInteger(qOffset) || qOffset < 0) {
    throw new GpuError(`${kernel}: qOffset must be a non-negative integer, got ${qOffset}`);
  }
  if (Tk < qOffset + T) {
    throw new GpuError(`${kernel}: k ${k} holds ${Tk} keys, fewer than qOffset + T = ${qOffset} + ${T}`);
  }
  expectShape(kernel, 'q', q, [T, Hq, D]);
  expectShape(kernel, 'k', k, [Tk, Hkv, D]);
  expectShape(kernel, 'v', v, [Tk, Hkv, D]);
  expectShape(kernel, 'out', out, [T, Hq, D]);
  expectShape(kernel, 'lse', lse, [Hq, T]);
  expectShape(kernel, 'seqStart', seqStart, [T], 'u32');
  expectDistinct(kernel, { out, lse }, { q, k, v, seqStart });
  if (T === 0) return;
  const rows = T * (Hq / Hkv);
  const tiles = chooseTiles(ctx, kernel, D, rows, qOffset + T, args.tiles);
  const pipeline = ctx.kernel({
    name: kernel,
    code: FORWARD_WGSL,
    constants: { HEAD_DIM: D, BLOCK_ROWS: tiles.rows, BLOCK_KEYS: tiles.keys },
  });
  const params = new Params().u32(T).u32(Hq).u32(Hkv).u32(qOffset).f32(scale);
  ctx.dispatch(pipeline, params, [q, k, v, seqStart, out, lse], [Math.ceil(rows / tiles.rows), Hkv]);
}

/**
 * Gradients of attentionForward with qOffset = 0: dQ [T, Hq, D], dK and dV [T, Hkv, D] (overwritten, not
 * accumulated) from q, out, dOut [T, Hq, D], k, v [T, Hkv, D], lse [Hq, T] and seqStart [T] u32.
 */
export function attentionBackward(ctx: GpuContext, args: AttentionBackwardArgs): void {
  const { q, k, v, out, lse, dOut, dQ, dK, dV, seqStart } = args;
  const kernel = 'attention_backward';
  const { T, Hq, Hkv, D, Tk } = headShapes(kernel, q, k);
  const scale = args.scale ?? 1 / Math.sqrt(D);
  checkScale(kernel, scale);
  if (Tk !== T) throw new GpuError(`${kernel}: training attention needs as many keys as queries: q ${q}, k ${k}`);
  for (const [role, t] of Object.entries({ q, out, dOut, dQ })) expectShape(kernel, role, t, [T, Hq, D]);
  for (const [role, t] of Object.entries({ k, v, dK, dV })) expectShape(kernel, role, t, [T, Hkv, D]);
  expectShape(kernel, 'lse', lse, [Hq, T]);
  expectShape(kernel, 'seqStart', seqStart, [T], 'u32');
  if (args.stats) expectShape(kernel, 'stats', args.stats, [Hq, T, 2]);
  const inputs = { q, k, v, out, lse, dOut, seqStart };
  expectDistinct(kernel, { dQ, dK, dV, ...(args.stats ? { stats: args.stats } : {}) }, inputs);
  if (T === 0) return;
  const qTiles = chooseTiles(ctx, 'attention_backward_q', D, T * (Hq / Hkv), T, args.tiles);
  const kvTiles = chooseTiles(ctx, 'attention_backward_kv', D, T, T * (Hq / Hkv), args.tiles);
  const stats = args.stats ?? ctx.tensor([Hq, T, 2], 'f32', 'attention.stats');

  const delta = ctx.kernel({
    name: 'attention_backward_delta',
    code: BACKWARD_DELTA_WGSL,
    constants: { HEAD_DIM: D, WORKGROUP_SIZE: DELTA_WORKGROUP_SIZE },
  });
  ctx.dispatch(delta, new Params().u32(T).u32(Hq), [out, dOut, lse, stats], linearGrid(Hq * T, DELTA_WORKGROUP_SIZE));

  const params = new Params().u32(T).u32(Hq).u32(Hkv).f32(scale);
  const gradQ = ctx.kernel({
    name: 'attention_backward_q',
    code: BACKWARD_Q_WGSL,
    constants: { HEAD_DIM: D, BLOCK_ROWS: qTiles.rows, BLOCK_KEYS: qTiles.keys },
  });
  const rows = T * (Hq / Hkv);
  ctx.dispatch(gradQ, params, [q, k, v, dOut, stats, seqStart, dQ], [Math.ceil(rows / qTiles.rows), Hkv]);

  const gradKv = ctx.kernel({
    name: 'attention_backward_kv',
    code: BACKWARD_KV_WGSL,
    constants: { HEAD_DIM: D, BLOCK_ROWS: kvTiles.rows, BLOCK_KEYS: kvTiles.keys },
  });
  ctx.dispatch(gradKv, params, [q, k, v, dOut, stats, seqStart, dK, dV], [Math.ceil(T / kvTiles.keys), Hkv]);
  // Later work is recorded after these dispatches, so the pooled scratch cannot be overwritten before they run.
  if (!args.stats) ctx.release(stats);
}
