// dW[rowOffset + n, k] = scale · Σ_m dY[m, n] · X[m, k] (+ dW if accumulate); dY [M,N], X [M,K], dW [N_total, K].
// The reduction runs over the token count M. dY is contiguous along N and X along K, the two output dimensions,
// so both tiles are staged in workgroup memory as they lie in memory ([m][n] and [m][k]), no transpose.
//
// Tiling, entry points and register block as in matmul_forward.wgsl (matmul_tile_loop.wgsl and
// matmul_register_block.wgsl, spliced in by the launcher), with dW's rows n and columns k as the tile's rows and
// columns, TK tokens per step. `main` reads one f32 at a time with bounds checks (any N, K); `main_vec4` reads
// vec4 and needs N % 4 == 0 and K % 4 == 0.

override ACCUMULATE: bool = false;

// @binding(0): params, declared by matmul_tile_loop.wgsl
@group(0) @binding(1) var<storage, read> dy: array<f32>; // [M, N]
@group(0) @binding(1) var<storage, read> dy4: array<vec4<f32>>; // [M, N/4], main_vec4
@group(0) @binding(2) var<storage, read> x: array<f32>; // [M, K]
@group(0) @binding(2) var<storage, read> x4: array<vec4<f32>>; // [M, K/4], main_vec4
@group(0) @binding(3) var<storage, read_write> dw: array<f32>; // [N_total, K]

// Stages dY[t0 : t0+TK, n0 : n0+TILE_M] and X[t0 : t0+TK, k0 : k0+TILE_N]; zero outside the matrices.
// Consecutive threads read consecutive addresses of each operand.
fn stage_scalar(tid: u32, n0: u32, k0: u32, t0: u32) {
  for (var l = tid; l < TK * TILE_M; l += THREADS) {
    let t = l / TILE_M;
    let r = l % TILE_M;
    let token = t0 + t;
    let n = n0 + r;
    let v = select(0.0, dy[min(token, params.m - 1u) * params.n + min(n, params.n - 1u)], token < params.m && n < params.n);
    a_tile[l / 4u][r % 4u] = v;
  }
  for (var l = tid; l < TK * TILE_N; l += THREADS) {
    let t = l / TILE_N;
    let c = l % TILE_N;
    let token = t0 + t;
    let col = k0 + c;
    let v = select(0.0, x[min(token, params.m - 1u) * params.k + min(col, params.k - 1u)], token < params.m && col < params.k);
    b_tile[l / 4u][c % 4u] = v;
  }
}

fn stage_vec4(tid: u32, n0: u32, k0: u32, t0: u32) {
  let n4s = params.n / 4u;
  let k4s = params.k / 4u;
  let tm4 = TILE_M / 4u;
  let tn4 = TILE_N / 4u;
  for (var l = tid; l < TK * tm4; l += THREADS) {
    let token = t0 + l / tm4;
    let n4 = n0 / 4u + l % tm4;
    a_tile[l] = select(vec4<f32>(), dy4[min(token, params.m - 1u) * n4s + min(n4, n4s - 1u)], token < params.m && n4 < n4s);
  }
  for (var l = tid; l < TK * tn4; l += THREADS) {
    let token = t0 + l / tn4;
    let col4 = k0 / 4u + l % tn4;
    b_tile[l] = select(vec4<f32>(), x4[min(token, params.m - 1u) * k4s + min(col4, k4s - 1u)], token < params.m && col4 < k4s);
  }
}

fn reduction_length() -> u32 {
  return params.m;
}

// matmul_tile_loop.wgsl's hook: no fused term here, LoRA's weight gradients are products of their own.
fn finish_tile(tid: u32, tx: u32, ty: u32, row0: u32, col0: u32) {}

fn store_one(row: u32, col: u32, acc: f32) {
  if (row >= params.n || col >= params.k) {
    return;
  }
  let at = (params.row_offset + row) * params.k + col;
  var v = params.scale * acc;
  if (ACCUMULATE) {
    v += dw[at];
  }
  dw[at] = v;
}
