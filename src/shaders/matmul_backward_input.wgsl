// dX[M,K] = scale · dY[M,N] · W[rowOffset : rowOffset+N, K] (+ dX if accumulate)
// The reduction runs over N. dY is contiguous along N (the reduction), W along K (the output columns).
//
// Tiling, entry points and register block as in matmul_forward.wgsl (matmul_tile_loop.wgsl and
// matmul_register_block.wgsl, spliced in by the launcher). Per step of TK along N, the dY tile is staged
// transposed ([n][row]) and the W tile as it lies in memory ([n][col]). `main` reads one f32 at a time with
// bounds checks (any N, K); `main_vec4` reads vec4 and needs N % 4 == 0 and K % 4 == 0.
// With HAS_LOW_RANK (a LoRA adapter on a dense base), dX += low_rank_scale · dU[M,r] · A[r,K] through
// matmul_low_rank.wgsl. Needs scale = 1.

override ACCUMULATE: bool = false;
override HAS_LOW_RANK: bool = false;

// @binding(0): params, declared by matmul_tile_loop.wgsl
@group(0) @binding(1) var<storage, read> dy: array<f32>; // [M, N]
@group(0) @binding(1) var<storage, read> dy4: array<vec4<f32>>; // [M, N/4], main_vec4
@group(0) @binding(2) var<storage, read> w: array<f32>; // [N_total, K]
@group(0) @binding(2) var<storage, read> w4: array<vec4<f32>>; // [N_total, K/4], main_vec4
@group(0) @binding(3) var<storage, read_write> dx: array<f32>; // [M, K]
@group(0) @binding(4) var<storage, read> low_du: array<f32>; // [M, r]
@group(0) @binding(5) var<storage, read> low_a: array<f32>; // [r, K]

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

fn reduction_length() -> u32 {
  return params.n;
}

// The operands of matmul_low_rank.wgsl: dU [M, r] and A [r, K].
fn low_rank_cols() -> u32 { return params.k; }
fn low_rank_u(row: u32, t: u32) -> f32 { return low_du[row * params.rank + t]; }
fn low_rank_v(col: u32, t: u32) -> f32 { return low_a[t * params.k + col]; }

fn store_one(row: u32, col: u32, acc: f32) {
  if (row >= params.m || col >= params.k) {
    return;
  }
  let at = row * params.k + col;
  var v = params.scale * acc;
  if (ACCUMULATE) {
    v += dx[at];
  }
  dx[at] = v;
}
