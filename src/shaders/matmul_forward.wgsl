// Y[M,N] = scale · (X[M,K] · W[rowOffset : rowOffset+N, K]ᵀ) + bias[rowOffset + n] + residual[M,N] (+ Y if accumulate)
// nn.Linear layout: W is [out, in], so both operands are contiguous along the reduction dimension K.
//
// Tiling, entry points and register block: matmul_tile_loop.wgsl and matmul_register_block.wgsl, spliced in by
// the launcher. Per step of TK along K, the X and W tiles are staged transposed ([k][row], [k][col]), so the
// register block reads two vec4 of X and two of W per k. `main` reads X and W one f32 at a time with bounds
// checks (any K); `main_vec4` reads vec4 along K and needs K % 4 == 0.
// With HAS_LOW_RANK (a LoRA adapter on a dense base), Y += low_rank_scale · U[M,r] · B[N,r]ᵀ through
// matmul_low_rank.wgsl. It needs scale = 1 (the low-rank terms are staged already scaled).

override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override ACCUMULATE: bool = false;
override HAS_LOW_RANK: bool = false;

// @binding(0): params, declared by matmul_tile_loop.wgsl
@group(0) @binding(1) var<storage, read> x: array<f32>; // [M, K]
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>; // [M, K/4], main_vec4
@group(0) @binding(2) var<storage, read> w: array<f32>; // [N_total, K]
@group(0) @binding(2) var<storage, read> w4: array<vec4<f32>>; // [N_total, K/4], main_vec4
@group(0) @binding(3) var<storage, read> bias: array<f32>; // [N_total]
@group(0) @binding(4) var<storage, read> residual: array<f32>; // [M, N]
@group(0) @binding(5) var<storage, read_write> y: array<f32>; // [M, N]
@group(0) @binding(6) var<storage, read> low_u: array<f32>; // [M, r]
@group(0) @binding(7) var<storage, read> low_b: array<f32>; // [N, r]

// Stages X[m0 : m0+TILE_M, k0 : k0+TK] and W rows [n0, n0+TILE_N) transposed; zero outside the matrices.
// Consecutive threads read consecutive k, the contiguous direction of both operands.
fn stage_scalar(tid: u32, m0: u32, n0: u32, k0: u32) {
  for (var l = tid; l < TILE_M * TK; l += THREADS) {
    let r = l / TK;
    let kk = l % TK;
    let row = m0 + r;
    let k = k0 + kk;
    let v = select(0.0, x[min(row, params.m - 1u) * params.k + min(k, params.k - 1u)], k < params.k && row < params.m);
    a_tile[(kk * TILE_M + r) / 4u][r % 4u] = v;
  }
  for (var l = tid; l < TILE_N * TK; l += THREADS) {
    let r = l / TK;
    let kk = l % TK;
    let col = n0 + r;
    let k = k0 + kk;
    let wrow = params.row_offset + min(col, params.n - 1u);
    let v = select(0.0, w[wrow * params.k + min(k, params.k - 1u)], k < params.k && col < params.n);
    b_tile[(kk * TILE_N + r) / 4u][r % 4u] = v;
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
    a_tile[at / 4u][r % 4u] = v.x;
    a_tile[(at + TILE_M) / 4u][r % 4u] = v.y;
    a_tile[(at + 2u * TILE_M) / 4u][r % 4u] = v.z;
    a_tile[(at + 3u * TILE_M) / 4u][r % 4u] = v.w;
  }
  for (var l = tid; l < TILE_N * tk4; l += THREADS) {
    let r = l / tk4;
    let kq = l % tk4;
    let col = n0 + r;
    let k4 = k0 / 4u + kq;
    let wrow = params.row_offset + min(col, params.n - 1u);
    let v = select(vec4<f32>(), w4[wrow * k4s + min(k4, k4s - 1u)], k4 < k4s && col < params.n);
    let at = kq * 4u * TILE_N + r;
    b_tile[at / 4u][r % 4u] = v.x;
    b_tile[(at + TILE_N) / 4u][r % 4u] = v.y;
    b_tile[(at + 2u * TILE_N) / 4u][r % 4u] = v.z;
    b_tile[(at + 3u * TILE_N) / 4u][r % 4u] = v.w;
  }
}

fn reduction_length() -> u32 {
  return params.k;
}

// The operands of matmul_low_rank.wgsl: U [M, r] and B [N, r].
fn low_rank_cols() -> u32 { return params.n; }
fn low_rank_u(row: u32, t: u32) -> f32 { return low_u[row * params.rank + t]; }
fn low_rank_v(col: u32, t: u32) -> f32 { return low_b[col * params.rank + t]; }

fn store_one(row: u32, col: u32, acc: f32) {
  if (row >= params.m || col >= params.n) {
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
