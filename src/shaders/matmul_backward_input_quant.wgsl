// dX[M, K] = scale · dY[M, N] · W[rows] (+ dX if ACCUMULATE), W quantized: the weight's bindings and its
// decoder w_load8 come from matmul_weights_<format>.wgsl, appended by the launcher. Column j of dY
// (dy[:, dy_col + j]) pairs with W row row_offset + j, so a weight stored in several parts is reduced
// part by part, later parts accumulating.
//
// With HAS_LOW_RANK (a LoRA adapter on this base), dX also gets low_rank_scale · dU·A (dU [M, rank], A [rank, K])
// as rank more reduction steps; the launcher passes rank 0 to every part but the first. Needs scale = 1.
//
// One workgroup per 64×64 tile of dX (8×8 threads, 8×8 outputs each: the register block of
// matmul_register_block.wgsl, spliced in by the launcher with matmul_low_rank.wgsl), reducing over N in steps of
// TK: each step dequantizes TK rows × 64 columns of W into workgroup memory.

const TILE = 64u; // outputs per workgroup along M and along K: 8 threads × 8 (fixed by main)
const TILE_M = TILE;
const TILE_N = TILE;
const THREADS = 64u;
override TK: u32 = 32u;
override ACCUMULATE: bool = false;
override HAS_LOW_RANK: bool = false;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  row_offset: u32, // W row (within this part) paired with dY column dy_col
  dy_stride: u32, // row length of dy
  dy_col: u32,
  scale: f32,
  rank: u32,
  low_rank_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>; // [M, dy_stride]
// @binding(2), @binding(3): the quantized weight, declared by matmul_weights_<format>.wgsl
@group(0) @binding(4) var<storage, read_write> dx: array<f32>; // [M, K]
@group(0) @binding(5) var<storage, read> low_du: array<f32>; // [M, rank]
@group(0) @binding(6) var<storage, read> low_a: array<f32>; // [rank, K]

fn store_one(row: u32, col: u32, acc: f32) {
  if (row >= params.m || col >= params.k) {
    return;
  }
  let at = row * params.k + col;
  var result = params.scale * acc;
  if (ACCUMULATE) {
    result += dx[at];
  }
  dx[at] = result;
}

// The operands of matmul_low_rank.wgsl: dU [M, r] and A [r, K].
fn low_rank_cols() -> u32 { return params.k; }
fn low_rank_u(row: u32, t: u32) -> f32 { return low_du[row * params.rank + t]; }
fn low_rank_v(col: u32, t: u32) -> f32 { return low_a[t * params.k + col]; }

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let m0 = wg.y * TILE;
  let k0 = wg.x * TILE;
  let tx = lid % 8u;
  let ty = lid / 8u;
  for (var n0 = 0u; n0 < params.n; n0 += TK) {
    for (var i = lid; i < TILE * TK; i += 64u) {
      let r = i % TILE;
      let nn = i / TILE;
      var v = 0.0;
      if (m0 + r < params.m && n0 + nn < params.n) {
        v = dy[(m0 + r) * params.dy_stride + params.dy_col + n0 + nn];
      }
      a_tile[nn * (TILE / 4u) + r / 4u][r % 4u] = v;
    }
    // Consecutive threads dequantize consecutive 8-value groups of one W row.
    for (var i = lid; i < TILE * TK / 8u; i += 64u) {
      let kg = i % (TILE / 8u);
      let nn = i / (TILE / 8u);
      var w = mat2x4<f32>();
      if (n0 + nn < params.n && k0 + 8u * kg < params.k) {
        w = w_load8(params.row_offset + n0 + nn, k0 + 8u * kg, params.k);
      }
      b_tile[nn * (TILE / 4u) + 2u * kg] = w[0];
      b_tile[nn * (TILE / 4u) + 2u * kg + 1u] = w[1];
    }
    multiply_staged(tx, ty, TK);
  }
  finish_tile(lid, tx, ty, m0, k0);
  store_block(tx, ty, m0, k0);
}
