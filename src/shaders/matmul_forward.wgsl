// Y[M,N] = scale · (X[M,K] · W[rowOffset : rowOffset+N, K]ᵀ) + bias[rowOffset + n] + residual[M,N] (+ Y if accumulate)
// nn.Linear layout: W is [out, in], so both operands are contiguous along the reduction dimension K.
//
// Tiling: a workgroup of WG_N × WG_M threads computes a (8·WG_M) × (8·WG_N) block of Y; each thread owns an 8×8
// register block held in sixteen vec4 accumulators (named, not an array, so no compiler can spill them to
// indexed memory). Per step of TK along K, the X and W tiles are staged transposed ([k][row]) in workgroup
// memory, so the inner loop reads two vec4 of X and two of W per k for 64 multiply-adds.
// Entry points: `main` reads X and W one f32 at a time with bounds checks (any K); `main_vec4` reads vec4
// along K and needs K % 4 == 0. Both stage the same tiles, so the compute loop is shared.
// With HAS_LOW_RANK (a LoRA adapter on a dense base), the reduction runs on over the adapter's rank:
// Y += low_rank_scale · U[M,r] · B[N,r]ᵀ, U and B staged into the same tiles after the last step of K, so the
// adapter's product costs a few more steps of this kernel instead of a dispatch that rereads and rewrites Y.
// It needs scale = 1 (the low-rank terms are staged already scaled).

override WG_N: u32 = 8u;
override WG_M: u32 = 8u;
override TK: u32 = 32u;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override ACCUMULATE: bool = false;
override HAS_LOW_RANK: bool = false;

const THREAD_ROWS = 8u;
const THREAD_COLS = 8u;
override TILE_M: u32 = WG_M * THREAD_ROWS;
override TILE_N: u32 = WG_N * THREAD_COLS;
override THREADS: u32 = WG_M * WG_N;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  row_offset: u32,
  scale: f32,
  rank: u32,
  low_rank_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> low_u: array<f32>;
@group(0) @binding(7) var<storage, read> low_b: array<f32>;

// [k][row] and [k][col], four rows/cols per vec4.
var<workgroup> xs: array<vec4<f32>, TK * TILE_M / 4u>;
var<workgroup> ws: array<vec4<f32>, TK * TILE_N / 4u>;

var<private> c00: vec4<f32>; var<private> c01: vec4<f32>;
var<private> c10: vec4<f32>; var<private> c11: vec4<f32>;
var<private> c20: vec4<f32>; var<private> c21: vec4<f32>;
var<private> c30: vec4<f32>; var<private> c31: vec4<f32>;
var<private> c40: vec4<f32>; var<private> c41: vec4<f32>;
var<private> c50: vec4<f32>; var<private> c51: vec4<f32>;
var<private> c60: vec4<f32>; var<private> c61: vec4<f32>;
var<private> c70: vec4<f32>; var<private> c71: vec4<f32>;

// Stages X[m0 : m0+TILE_M, k0 : k0+TK] and W rows [n0, n0+TILE_N) transposed; zero outside the matrices.
// Consecutive threads read consecutive k, the contiguous direction of both operands.
fn stage_scalar(tid: u32, m0: u32, n0: u32, k0: u32) {
  for (var l = tid; l < TILE_M * TK; l += THREADS) {
    let r = l / TK;
    let kk = l % TK;
    let row = m0 + r;
    let k = k0 + kk;
    let v = select(0.0, x[min(row, params.m - 1u) * params.k + min(k, params.k - 1u)], k < params.k && row < params.m);
    xs[(kk * TILE_M + r) / 4u][r % 4u] = v;
  }
  for (var l = tid; l < TILE_N * TK; l += THREADS) {
    let r = l / TK;
    let kk = l % TK;
    let col = n0 + r;
    let k = k0 + kk;
    let wrow = params.row_offset + min(col, params.n - 1u);
    let v = select(0.0, w[wrow * params.k + min(k, params.k - 1u)], k < params.k && col < params.n);
    ws[(kk * TILE_N + r) / 4u][r % 4u] = v;
  }
}

fn stage_vec4(tid: u32, m0: u32, n0: u32, k0: u32) {
  let k4s = params.k / 4u;
  let tk4 = TK / 4u;
  for (var l = tid; l < TILE_M * tk4; l += THREADS) {
    let r = l / tk4;
    let kq = l % tk4;
    let row = m0 + r;
    let k4 = k0 / 4u + kq;
    let v = select(vec4<f32>(), x4[min(row, params.m - 1u) * k4s + min(k4, k4s - 1u)], k4 < k4s && row < params.m);
    let at = kq * 4u * TILE_M + r;
    xs[at / 4u][r % 4u] = v.x;
    xs[(at + TILE_M) / 4u][r % 4u] = v.y;
    xs[(at + 2u * TILE_M) / 4u][r % 4u] = v.z;
    xs[(at + 3u * TILE_M) / 4u][r % 4u] = v.w;
  }
  for (var l = tid; l < TILE_N * tk4; l += THREADS) {
    let r = l / tk4;
    let kq = l % tk4;
    let col = n0 + r;
    let k4 = k0 / 4u + kq;
    let wrow = params.row_offset + min(col, params.n - 1u);
    let v = select(vec4<f32>(), w4[wrow * k4s + min(k4, k4s - 1u)], k4 < k4s && col < params.n);
    let at = kq * 4u * TILE_N + r;
    ws[at / 4u][r % 4u] = v.x;
    ws[(at + TILE_N) / 4u][r % 4u] = v.y;
    ws[(at + 2u * TILE_N) / 4u][r % 4u] = v.z;
    ws[(at + 3u * TILE_N) / 4u][r % 4u] = v.w;
  }
}

// Stages U[m0 : m0+TILE_M, k0 : k0+TK] · low_rank_scale and B rows [n0, n0+TILE_N) like stage_scalar.
fn stage_low_rank(tid: u32, m0: u32, n0: u32, k0: u32) {
  let rank = params.rank;
  for (var l = tid; l < TILE_M * TK; l += THREADS) {
    let r = l / TK;
    let kk = l % TK;
    let row = m0 + r;
    let k = k0 + kk;
    let v = select(0.0, low_u[min(row, params.m - 1u) * rank + min(k, rank - 1u)], k < rank && row < params.m);
    xs[(kk * TILE_M + r) / 4u][r % 4u] = v * params.low_rank_scale;
  }
  for (var l = tid; l < TILE_N * TK; l += THREADS) {
    let r = l / TK;
    let kk = l % TK;
    let col = n0 + r;
    let k = k0 + kk;
    let v = select(0.0, low_b[min(col, params.n - 1u) * rank + min(k, rank - 1u)], k < rank && col < params.n);
    ws[(kk * TILE_N + r) / 4u][r % 4u] = v;
  }
}

fn add_low_rank(lid: vec3<u32>, tid: u32, m0: u32, n0: u32) {
  for (var k0 = 0u; k0 < params.rank; k0 += TK) {
    stage_low_rank(tid, m0, n0, k0);
    workgroupBarrier();
    multiply_tile(lid.x, lid.y, min(TK, params.rank - k0));
    workgroupBarrier();
  }
}

fn multiply_tile(tx: u32, ty: u32, steps: u32) {
  let m4 = TILE_M / 4u;
  let n4 = TILE_N / 4u;
  var ai = ty * 2u;
  var bi = tx * 2u;
  for (var kk = 0u; kk < steps; kk++) {
    let a0 = xs[ai];
    let a1 = xs[ai + 1u];
    let b0 = ws[bi];
    let b1 = ws[bi + 1u];
    c00 += a0.x * b0; c01 += a0.x * b1;
    c10 += a0.y * b0; c11 += a0.y * b1;
    c20 += a0.z * b0; c21 += a0.z * b1;
    c30 += a0.w * b0; c31 += a0.w * b1;
    c40 += a1.x * b0; c41 += a1.x * b1;
    c50 += a1.y * b0; c51 += a1.y * b1;
    c60 += a1.z * b0; c61 += a1.z * b1;
    c70 += a1.w * b0; c71 += a1.w * b1;
    ai += m4;
    bi += n4;
  }
}

fn store_one(row: u32, col: u32, acc: f32) {
  if (col >= params.n) {
    return;
  }
  let at = row * params.n + col;
  var v = params.scale * acc;
  if (HAS_BIAS) {
    v += bias[params.row_offset + col];
  }
  if (HAS_RESIDUAL) {
    v += residual[at];
  }
  if (ACCUMULATE) {
    v += y[at];
  }
  y[at] = v;
}

fn store_row(row: u32, col: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (row >= params.m) {
    return;
  }
  store_one(row, col, lo.x);
  store_one(row, col + 1u, lo.y);
  store_one(row, col + 2u, lo.z);
  store_one(row, col + 3u, lo.w);
  store_one(row, col + 4u, hi.x);
  store_one(row, col + 5u, hi.y);
  store_one(row, col + 6u, hi.z);
  store_one(row, col + 7u, hi.w);
}

fn store_block(row: u32, col: u32) {
  store_row(row, col, c00, c01);
  store_row(row + 1u, col, c10, c11);
  store_row(row + 2u, col, c20, c21);
  store_row(row + 3u, col, c30, c31);
  store_row(row + 4u, col, c40, c41);
  store_row(row + 5u, col, c50, c51);
  store_row(row + 6u, col, c60, c61);
  store_row(row + 7u, col, c70, c71);
}

@compute @workgroup_size(WG_N, WG_M)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * WG_N + lid.x;
  let m0 = wid.y * TILE_M;
  let n0 = wid.x * TILE_N;
  for (var k0 = 0u; k0 < params.k; k0 += TK) {
    stage_scalar(tid, m0, n0, k0);
    workgroupBarrier();
    multiply_tile(lid.x, lid.y, TK);
    workgroupBarrier();
  }
  if (HAS_LOW_RANK) { add_low_rank(lid, tid, m0, n0); }
  store_block(m0 + lid.y * THREAD_ROWS, n0 + lid.x * THREAD_COLS);
}

@compute @workgroup_size(WG_N, WG_M)
fn main_vec4(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * WG_N + lid.x;
  let m0 = wid.y * TILE_M;
  let n0 = wid.x * TILE_N;
  for (var k0 = 0u; k0 < params.k; k0 += TK) {
    stage_vec4(tid, m0, n0, k0);
    workgroupBarrier();
    multiply_tile(lid.x, lid.y, TK);
    workgroupBarrier();
  }
  if (HAS_LOW_RANK) { add_low_rank(lid, tid, m0, n0); }
  store_block(m0 + lid.y * THREAD_ROWS, n0 + lid.x * THREAD_COLS);
}
