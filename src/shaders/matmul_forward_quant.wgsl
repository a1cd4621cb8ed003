// Y[M, N] = scale · X[M, K] · W[rows]ᵀ + bias + residual (+ Y if ACCUMULATE), W quantized: the weight's
// bindings and its decoder w_load8 come from matmul_weights_<format>.wgsl, appended by the launcher. W is
// dequantized tile by tile into workgroup memory (or into registers in `matvec`), never as a whole.
// Output column j of this dispatch uses W row row_offset + j and is written to y[:, y_col + j], so a weight
// stored in several parts, or a vocabulary chunk of the LM head, fills its own columns of y.
//
// With HAS_LOW_RANK (a LoRA adapter on this quantized base) each output also gets low_rank_scale · U[row]·B[col]
// (U [M, r], B [N_total, r], row y_col + j of B for output column j), as r more reduction steps of `main` or a
// short loop in `matvec`'s epilogue, instead of a second dispatch that rereads and rewrites Y. Needs scale = 1.
//
// Entry points: `main`, a 64×64-output tile per workgroup (8×8 threads, 8×8 outputs each, as matmul_forward.wgsl:
// 64 multiply-adds per four vec4 reads of workgroup memory), reading K in steps of TILE_K; `matvec` for a few
// rows of X (decode), THREADS_PER_ROW threads per output column reading one W row, M ≤ 4 (one vec4 of partial
// sums per thread).

override TILE: u32 = 64u; // outputs per workgroup along M and along N: 8 threads × 8 (fixed by main)
override TILE_K: u32 = 32u;
override ROWS_PER_GROUP: u32 = 8u;
override THREADS_PER_ROW: u32 = 32u;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override ACCUMULATE: bool = false;
override HAS_LOW_RANK: bool = false;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  row_offset: u32, // W row (within this part) of output column 0
  y_stride: u32, // row length of y and residual
  y_col: u32, // column of y (and residual) written by output column 0
  bias_offset: u32, // element of bias added to output column 0
  scale: f32,
  rank: u32,
  low_rank_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>; // [M, K/4]: K is a multiple of 32
// @binding(2), @binding(3): the quantized weight, declared by matmul_weights_<format>.wgsl
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> residual: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read> low_u: array<f32>; // [M, rank]
@group(0) @binding(8) var<storage, read> low_b: array<f32>; // [N_total, rank]

// Both tiles are K-major so the inner loop reads one vec4 of X rows and one of W rows per k.
var<workgroup> x_tile: array<vec4<f32>, TILE_K * TILE / 4u>; // [kk][m / 4]
var<workgroup> w_tile: array<vec4<f32>, TILE_K * TILE / 4u>; // [kk][n / 4]
var<workgroup> partial: array<vec4<f32>, ROWS_PER_GROUP * THREADS_PER_ROW>;

// `main`'s 8×8 block of outputs per thread, in named vec4s (rows 0..7, columns 0..3 and 4..7).
var<private> c00: vec4<f32>; var<private> c01: vec4<f32>;
var<private> c10: vec4<f32>; var<private> c11: vec4<f32>;
var<private> c20: vec4<f32>; var<private> c21: vec4<f32>;
var<private> c30: vec4<f32>; var<private> c31: vec4<f32>;
var<private> c40: vec4<f32>; var<private> c41: vec4<f32>;
var<private> c50: vec4<f32>; var<private> c51: vec4<f32>;
var<private> c60: vec4<f32>; var<private> c61: vec4<f32>;
var<private> c70: vec4<f32>; var<private> c71: vec4<f32>;

fn epilogue(row: u32, col: u32, acc: f32) {
  let i = row * params.y_stride + params.y_col + col;
  var result = params.scale * acc;
  if (HAS_BIAS) {
    result += bias[params.bias_offset + col];
  }
  if (HAS_RESIDUAL) {
    result += residual[i];
  }
  if (ACCUMULATE) {
    result += y[i];
  }
  y[i] = result;
}

// Adds the product of the staged tiles' first `steps` k to the thread's 8×8 block (rows 8·ty.., cols 8·tx..):
// per k, two vec4 of X rows and two of W rows for 64 multiply-adds.
fn multiply_tiles(tx: u32, ty: u32, steps: u32) {
  for (var kk = 0u; kk < steps; kk++) {
    let a0 = x_tile[kk * (TILE / 4u) + 2u * ty];
    let a1 = x_tile[kk * (TILE / 4u) + 2u * ty + 1u];
    let b0 = w_tile[kk * (TILE / 4u) + 2u * tx];
    let b1 = w_tile[kk * (TILE / 4u) + 2u * tx + 1u];
    c00 += a0.x * b0; c01 += a0.x * b1;
    c10 += a0.y * b0; c11 += a0.y * b1;
    c20 += a0.z * b0; c21 += a0.z * b1;
    c30 += a0.w * b0; c31 += a0.w * b1;
    c40 += a1.x * b0; c41 += a1.x * b1;
    c50 += a1.y * b0; c51 += a1.y * b1;
    c60 += a1.z * b0; c61 += a1.z * b1;
    c70 += a1.w * b0; c71 += a1.w * b1;
  }
}

fn store_row(row: u32, col: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (row >= params.m) {
    return;
  }
  let v = array<f32, 8>(lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w);
  for (var j = 0u; j < 8u; j++) {
    if (col + j < params.n) {
      epilogue(row, col + j, v[j]);
    }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let m0 = wg.y * TILE;
  let n0 = wg.x * TILE;
  let tx = lid % 8u;
  let ty = lid / 8u;
  let k4 = params.k / 4u;
  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    // X tile: consecutive threads take consecutive rows, so the transposing stores hit distinct banks.
    for (var i = lid; i < TILE * TILE_K / 4u; i += 64u) {
      let r = i % TILE;
      let kq = i / TILE;
      var v = vec4<f32>(0.0);
      if (m0 + r < params.m) {
        v = x[(m0 + r) * k4 + k0 / 4u + kq];
      }
      for (var e = 0u; e < 4u; e++) {
        x_tile[(4u * kq + e) * (TILE / 4u) + r / 4u][r % 4u] = v[e];
      }
    }
    // W tile: each thread dequantizes 8 consecutive values of one row.
    for (var i = lid; i < TILE * TILE_K / 8u; i += 64u) {
      let r = i % TILE;
      let kg = i / TILE;
      var w = mat2x4<f32>();
      if (n0 + r < params.n) {
        w = w_load8(params.row_offset + n0 + r, k0 + 8u * kg, params.k);
      }
      for (var e = 0u; e < 8u; e++) {
        w_tile[(8u * kg + e) * (TILE / 4u) + r / 4u][r % 4u] = w[e / 4u][e % 4u];
      }
    }
    workgroupBarrier();
    multiply_tiles(tx, ty, TILE_K);
    workgroupBarrier();
  }
  if (HAS_LOW_RANK) {
    for (var t0 = 0u; t0 < params.rank; t0 += TILE_K) {
      for (var i = lid; i < TILE * TILE_K; i += 64u) {
        let r = i % TILE;
        let kk = i / TILE;
        let t = t0 + kk;
        var a = 0.0;
        var b = 0.0;
        if (t < params.rank) {
          if (m0 + r < params.m) { a = low_u[(m0 + r) * params.rank + t] * params.low_rank_scale; }
          if (n0 + r < params.n) { b = low_b[(params.y_col + n0 + r) * params.rank + t]; }
        }
        x_tile[kk * (TILE / 4u) + r / 4u][r % 4u] = a;
        w_tile[kk * (TILE / 4u) + r / 4u][r % 4u] = b;
      }
      workgroupBarrier();
      multiply_tiles(tx, ty, min(TILE_K, params.rank - t0));
      workgroupBarrier();
    }
  }
  let row = m0 + 8u * ty;
  let col = n0 + 8u * tx;
  store_row(row, col, c00, c01);
  store_row(row + 1u, col, c10, c11);
  store_row(row + 2u, col, c20, c21);
  store_row(row + 3u, col, c30, c31);
  store_row(row + 4u, col, c40, c41);
  store_row(row + 5u, col, c50, c51);
  store_row(row + 6u, col, c60, c61);
  store_row(row + 7u, col, c70, c71);
}

@compute @workgroup_size(ROWS_PER_GROUP * THREADS_PER_ROW)
fn matvec(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let lane = lid % THREADS_PER_ROW;
  let col = (wg.x + wg.y * groups.x) * ROWS_PER_GROUP + lid / THREADS_PER_ROW;
  let k4 = params.k / 4u;
  var acc = vec4<f32>(0.0); // one partial sum per row of X
  if (col < params.n) {
    let row = params.row_offset + col;
    for (var g = lane; g < params.k / 8u; g += THREADS_PER_ROW) {
      let w = w_load8(row, 8u * g, params.k);
      for (var m = 0u; m < params.m; m++) {
        let at = m * k4 + 2u * g;
        acc[m] += dot(w[0], x[at]) + dot(w[1], x[at + 1u]);
      }
    }
  }
  partial[lid] = acc;
  for (var s = THREADS_PER_ROW / 2u; s > 0u; s /= 2u) {
    workgroupBarrier();
    if (lane < s) {
      partial[lid] += partial[lid + s];
    }
  }
  if (lane == 0u && col < params.n) {
    for (var m = 0u; m < params.m; m++) {
      var sum = partial[lid][m];
      if (HAS_LOW_RANK) {
        var low = 0.0;
        for (var t = 0u; t < params.rank; t++) {
          low += low_u[m * params.rank + t] * low_b[(params.y_col + col) * params.rank + t];
        }
        sum += params.low_rank_scale * low;
      }
      epilogue(m, col, sum);
    }
  }
}
