// dX[M,K] = scale · dY[M,N] · W[rowOffset : rowOffset+N, K] (+ dX if accumulate)
// The reduction runs over N. dY is contiguous along N (the reduction), W along K (the output columns).
//
// Tiling as in matmul_forward.wgsl: a workgroup of WG_N × WG_M threads computes a (8·WG_M) × (8·WG_N) block of
// dX; each thread owns an 8×8 register block in sixteen named vec4 accumulators. Per step of TK along N, the dY
// tile is staged transposed ([n][row]) and the W tile as it lies in memory ([n][col]) in workgroup memory, so
// the inner loop reads two vec4 of each per n for 64 multiply-adds.
// Entry points: `main` reads one f32 at a time with bounds checks (any N, K); `main_vec4` reads vec4 and
// needs N % 4 == 0 and K % 4 == 0. Both fill the same tiles, so the compute loop is shared.
// With HAS_LOW_RANK (a LoRA adapter on a dense base), the reduction runs on over the adapter's rank:
// dX += low_rank_scale · dU[M,r] · A[r,K], staged into the same tiles after the last step of N, so LoRA's share of
// dX costs a few more steps of this kernel instead of a dispatch that rereads and rewrites dX. Needs scale = 1.

override WG_N: u32 = 8u;
override WG_M: u32 = 8u;
override TK: u32 = 32u;
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
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read> low_du: array<f32>;
@group(0) @binding(5) var<storage, read> low_a: array<f32>;

// [n][row of dX] and [n][col of dX], four rows/cols per vec4.
var<workgroup> a_tile: array<vec4<f32>, TK * TILE_M / 4u>;
var<workgroup> b_tile: array<vec4<f32>, TK * TILE_N / 4u>;

var<private> c00: vec4<f32>; var<private> c01: vec4<f32>;
var<private> c10: vec4<f32>; var<private> c11: vec4<f32>;
var<private> c20: vec4<f32>; var<private> c21: vec4<f32>;
var<private> c30: vec4<f32>; var<private> c31: vec4<f32>;
var<private> c40: vec4<f32>; var<private> c41: vec4<f32>;
var<private> c50: vec4<f32>; var<private> c51: vec4<f32>;
var<private> c60: vec4<f32>; var<private> c61: vec4<f32>;
var<private> c70: vec4<f32>; var<private> c71: vec4<f32>;

// Stages dY[m0 : m0+TILE_M, n0 : n0+TK] transposed and W rows [n0, n0+TK) × cols [k0, k0+TILE_N) as they are;
// zero outside the matrices. Consecutive threads read consecutive addresses of each operand.
fn stage_scalar(tid: u32, m0: u32, k0: u32, n0: u32) {
  for (var l = tid; l < TILE_M * TK; l += THREADS) {
    let r = l / TK;
    let t = l % TK;
    let row = m0 + r;
    let n = n0 + t;
    let v = select(0.0, dy[min(row, params.m - 1u) * params.n + min(n, params.n - 1u)], n < params.n && row < params.m);
    a_tile[(t * TILE_M + r) / 4u][r % 4u] = v;
  }
  for (var l = tid; l < TILE_N * TK; l += THREADS) {
    let t = l / TILE_N;
    let c = l % TILE_N;
    let n = n0 + t;
    let col = k0 + c;
    let wrow = params.row_offset + min(n, params.n - 1u);
    let v = select(0.0, w[wrow * params.k + min(col, params.k - 1u)], n < params.n && col < params.k);
    b_tile[(t * TILE_N + c) / 4u][c % 4u] = v;
  }
}

fn stage_vec4(tid: u32, m0: u32, k0: u32, n0: u32) {
  let n4s = params.n / 4u;
  let k4s = params.k / 4u;
  let tk4 = TK / 4u;
  for (var l = tid; l < TILE_M * tk4; l += THREADS) {
    let r = l / tk4;
    let tq = l % tk4;
    let row = m0 + r;
    let n4 = n0 / 4u + tq;
    let v = select(vec4<f32>(), dy4[min(row, params.m - 1u) * n4s + min(n4, n4s - 1u)], n4 < n4s && row < params.m);
    let at = tq * 4u * TILE_M + r;
    a_tile[at / 4u][r % 4u] = v.x;
    a_tile[(at + TILE_M) / 4u][r % 4u] = v.y;
    a_tile[(at + 2u * TILE_M) / 4u][r % 4u] = v.z;
    a_tile[(at + 3u * TILE_M) / 4u][r % 4u] = v.w;
  }
  let tn4 = TILE_N / 4u;
  for (var l = tid; l < TK * tn4; l += THREADS) {
    let t = l / tn4;
    let cq = l % tn4;
    let n = n0 + t;
    let col4 = k0 / 4u + cq;
    let wrow = params.row_offset + min(n, params.n - 1u);
    b_tile[l] = select(vec4<f32>(), w4[wrow * k4s + min(col4, k4s - 1u)], n < params.n && col4 < k4s);
  }
}

// Stages dU[m0 : m0+TILE_M, t0 : t0+TK] · low_rank_scale and A rows [t0, t0+TK) × cols [k0, k0+TILE_N) like
// stage_scalar.
fn stage_low_rank(tid: u32, m0: u32, k0: u32, t0: u32) {
  let rank = params.rank;
  for (var l = tid; l < TILE_M * TK; l += THREADS) {
    let r = l / TK;
    let t = l % TK;
    let row = m0 + r;
    let n = t0 + t;
    let v = select(0.0, low_du[min(row, params.m - 1u) * rank + min(n, rank - 1u)], n < rank && row < params.m);
    a_tile[(t * TILE_M + r) / 4u][r % 4u] = v * params.low_rank_scale;
  }
  for (var l = tid; l < TILE_N * TK; l += THREADS) {
    let t = l / TILE_N;
    let c = l % TILE_N;
    let n = t0 + t;
    let col = k0 + c;
    let v = select(0.0, low_a[min(n, rank - 1u) * params.k + min(col, params.k - 1u)], n < rank && col < params.k);
    b_tile[(t * TILE_N + c) / 4u][c % 4u] = v;
  }
}

fn add_low_rank(lid: vec3<u32>, tid: u32, m0: u32, k0: u32) {
  for (var t0 = 0u; t0 < params.rank; t0 += TK) {
    stage_low_rank(tid, m0, k0, t0);
    workgroupBarrier();
    multiply_tile(lid.x, lid.y, min(TK, params.rank - t0));
    workgroupBarrier();
  }
}

fn multiply_tile(tx: u32, ty: u32, steps: u32) {
  let m4 = TILE_M / 4u;
  let n4 = TILE_N / 4u;
  var ai = ty * 2u;
  var bi = tx * 2u;
  for (var t = 0u; t < steps; t++) {
    let a0 = a_tile[ai];
    let a1 = a_tile[ai + 1u];
    let b0 = b_tile[bi];
    let b1 = b_tile[bi + 1u];
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
  if (col >= params.k) {
    return;
  }
  let at = row * params.k + col;
  var v = params.scale * acc;
  if (ACCUMULATE) {
    v += dx[at];
  }
  dx[at] = v;
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

// Workgroup (x, y) covers dX columns [x·TILE_N, …) and rows [y·TILE_M, …).
@compute @workgroup_size(WG_N, WG_M)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * WG_N + lid.x;
  let m0 = wid.y * TILE_M;
  let k0 = wid.x * TILE_N;
  for (var n0 = 0u; n0 < params.n; n0 += TK) {
    stage_scalar(tid, m0, k0, n0);
    workgroupBarrier();
    multiply_tile(lid.x, lid.y, TK);
    workgroupBarrier();
  }
  if (HAS_LOW_RANK) { add_low_rank(lid, tid, m0, k0); }
  store_block(m0 + lid.y * THREAD_ROWS, k0 + lid.x * THREAD_COLS);
}

@compute @workgroup_size(WG_N, WG_M)
fn main_vec4(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * WG_N + lid.x;
  let m0 = wid.y * TILE_M;
  let k0 = wid.x * TILE_N;
  for (var n0 = 0u; n0 < params.n; n0 += TK) {
    stage_vec4(tid, m0, k0, n0);
    workgroupBarrier();
    multiply_tile(lid.x, lid.y, TK);
    workgroupBarrier();
  }
  if (HAS_LOW_RANK) { add_low_rank(lid, tid, m0, k0); }
  store_block(m0 + lid.y * THREAD_ROWS, k0 + lid.x * THREAD_COLS);
}
