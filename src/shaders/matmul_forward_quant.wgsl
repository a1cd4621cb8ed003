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
// Entry points: `main`, a 64×64-output tile per workgroup (8×8 threads, 8×8 outputs each: the register block of
// matmul_register_block.wgsl, spliced in by the launcher with matmul_low_rank.wgsl), reading K in steps of TK;
// `matvec` for a few rows of X (decode), THREADS_PER_ROW threads per output column reading W_ROWS rows of W,
// X_ROWS ≤ 8 rows of X per dispatch (a vec4 of partial sums per X row, one lane per W row); `matvec1` for a
// single row of X (a decoded token), each thread summing ROWS_PER_THREAD adjacent W rows with the format's span
// dot w_dot (matvec_dot_<format>.wgsl, spliced in too: for Q8_0 and Q4_0 a block's scale applied once to its sum)
// and every span of x loaded once for all its rows. The launcher picks the threads per row and rows per thread
// for the device.

const TILE = 64u; // outputs per workgroup along M and along N: 8 threads × 8 (fixed by main)
const TILE_M = TILE;
const TILE_N = TILE;
const THREADS = 64u;
override TK: u32 = 32u;
override ROWS_PER_GROUP: u32 = 8u;
override THREADS_PER_ROW: u32 = 32u;
override ROWS_PER_THREAD: u32 = 1u; // matvec1 only, ≤ 4
// matvec only: the rows of X of this dispatch (≤ 8, from row params.m0), fixed per pipeline so that each row's
// sum is a named register (SwiftShader keeps an array indexed by a loop variable in memory: the looped form ran a
// 5-row product at the cost of 5 one-row ones).
override X_ROWS: u32 = 8u;
// matvec only: W rows (output columns) per thread, 1 to 4 (more than 1 only with THREADS_PER_ROW = 1): each span
// of x is loaded once for all of them.
override W_ROWS: u32 = 1u;
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
  m0: u32, // matvec: the first row of X (and Y) of this dispatch's block of X_ROWS rows
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>; // [M, K/4]: K is a multiple of 32
// @binding(2), @binding(3): the quantized weight, declared by matmul_weights_<format>.wgsl
@group(0) @binding(4) var<storage, read> bias: array<f32>; // [N_total]
@group(0) @binding(5) var<storage, read> residual: array<f32>; // [M, y_stride]
@group(0) @binding(6) var<storage, read_write> y: array<f32>; // [M, y_stride]
@group(0) @binding(7) var<storage, read> low_u: array<f32>; // [M, rank]
@group(0) @binding(8) var<storage, read> low_b: array<f32>; // [N_total, rank]

var<workgroup> partial: array<array<vec4<f32>, 2>, ROWS_PER_GROUP * THREADS_PER_ROW>;

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

fn store_one(row: u32, col: u32, acc: f32) {
  if (row < params.m && col < params.n) {
    epilogue(row, col, acc);
  }
}

// The operands of matmul_low_rank.wgsl: U [M, r] and B [N_total, r], row y_col + col for output column col.
fn low_rank_cols() -> u32 { return params.n; }
fn low_rank_u(row: u32, t: u32) -> f32 { return low_u[row * params.rank + t]; }
fn low_rank_v(col: u32, t: u32) -> f32 { return low_b[(params.y_col + col) * params.rank + t]; }

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let m0 = wg.y * TILE;
  let n0 = wg.x * TILE;
  let tx = lid % 8u;
  let ty = lid / 8u;
  let k4 = params.k / 4u;
  for (var k0 = 0u; k0 < params.k; k0 += TK) {
    // X tile: consecutive threads take consecutive rows, so the transposing stores hit distinct banks.
    for (var i = lid; i < TILE * TK / 4u; i += 64u) {
      let r = i % TILE;
      let kq = i / TILE;
      var v = vec4<f32>(0.0);
      if (m0 + r < params.m) {
        v = x[(m0 + r) * k4 + k0 / 4u + kq];
      }
      for (var e = 0u; e < 4u; e++) {
        a_tile[(4u * kq + e) * (TILE / 4u) + r / 4u][r % 4u] = v[e];
      }
    }
    // W tile: each thread dequantizes 8 consecutive values of one row.
    for (var i = lid; i < TILE * TK / 8u; i += 64u) {
      let r = i % TILE;
      let kg = i / TILE;
      var w = mat2x4<f32>();
      if (n0 + r < params.n) {
        w = w_load8(params.row_offset + n0 + r, k0 + 8u * kg, params.k);
      }
      for (var e = 0u; e < 8u; e++) {
        b_tile[(8u * kg + e) * (TILE / 4u) + r / 4u][r % 4u] = w[e / 4u][e % 4u];
      }
    }
    multiply_staged(tx, ty, TK);
  }
  finish_tile(lid, tx, ty, m0, n0);
  store_block(tx, ty, m0, n0);
}

@compute @workgroup_size(ROWS_PER_GROUP * THREADS_PER_ROW)
fn matvec(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let lane = lid % THREADS_PER_ROW;
  let col = ((wg.x + wg.y * groups.x) * ROWS_PER_GROUP + lid / THREADS_PER_ROW) * W_ROWS;
  let k4 = params.k / 4u;
  // s<m>: X row m's sums against the thread's W rows (component r: W row col + r), each a named register.
  var s0 = vec4<f32>(0.0);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  var s3 = vec4<f32>(0.0);
  var s4 = vec4<f32>(0.0);
  var s5 = vec4<f32>(0.0);
  var s6 = vec4<f32>(0.0);
  var s7 = vec4<f32>(0.0);
  if (col < params.n) {
    // Columns past the end read the last row again (never written).
    let last = params.n - 1u;
    let r0 = params.row_offset + col;
    let r1 = params.row_offset + min(col + 1u, last);
    let r2 = params.row_offset + min(col + 2u, last);
    let r3 = params.row_offset + min(col + 3u, last);
    for (var g = lane; g < params.k / 8u; g += THREADS_PER_ROW) {
      let c = 8u * g;
      let w0 = w_load8(r0, c, params.k);
      var w1 = w0;
      var w2 = w0;
      var w3 = w0;
      if (W_ROWS > 1u) { w1 = w_load8(r1, c, params.k); }
      if (W_ROWS > 2u) { w2 = w_load8(r2, c, params.k); }
      if (W_ROWS > 3u) { w3 = w_load8(r3, c, params.k); }
      let at = params.m0 * k4 + 2u * g;
      s0 += rows_dot(w0, w1, w2, w3, at);
      if (X_ROWS > 1u) { s1 += rows_dot(w0, w1, w2, w3, at + k4); }
      if (X_ROWS > 2u) { s2 += rows_dot(w0, w1, w2, w3, at + 2u * k4); }
      if (X_ROWS > 3u) { s3 += rows_dot(w0, w1, w2, w3, at + 3u * k4); }
      if (X_ROWS > 4u) { s4 += rows_dot(w0, w1, w2, w3, at + 4u * k4); }
      if (X_ROWS > 5u) { s5 += rows_dot(w0, w1, w2, w3, at + 5u * k4); }
      if (X_ROWS > 6u) { s6 += rows_dot(w0, w1, w2, w3, at + 6u * k4); }
      if (X_ROWS > 7u) { s7 += rows_dot(w0, w1, w2, w3, at + 7u * k4); }
    }
  }
  let sums = array<vec4<f32>, 8>(s0, s1, s2, s3, s4, s5, s6, s7);
  if (W_ROWS > 1u) {
    // Several W rows per thread only with one thread per column (the launcher's software layout): no lanes to sum.
    for (var m = 0u; m < X_ROWS; m++) {
      for (var r = 0u; r < W_ROWS; r++) {
        if (col + r < params.n) { finish_column(params.m0 + m, col + r, sums[m][r]); }
      }
    }
    return;
  }
  sum_lanes(lid, lane, array<vec4<f32>, 2>(vec4<f32>(s0.x, s1.x, s2.x, s3.x), vec4<f32>(s4.x, s5.x, s6.x, s7.x)));
  if (lane == 0u && col < params.n) {
    for (var m = 0u; m < X_ROWS; m++) {
      finish_column(params.m0 + m, col, partial[lid][m / 4u][m % 4u]);
    }
  }
}

// One span of 8 values of x (from vec4 `at` on) against the same 8 of up to four W rows: component r is w_r·x.
fn rows_dot(w0: mat2x4<f32>, w1: mat2x4<f32>, w2: mat2x4<f32>, w3: mat2x4<f32>, at: u32) -> vec4<f32> {
  let xa = x[at];
  let xb = x[at + 1u];
  var out = vec4<f32>(dot(w0[0], xa) + dot(w0[1], xb), 0.0, 0.0, 0.0);
  if (W_ROWS > 1u) { out.y = dot(w1[0], xa) + dot(w1[1], xb); }
  if (W_ROWS > 2u) { out.z = dot(w2[0], xa) + dot(w2[1], xb); }
  if (W_ROWS > 3u) { out.w = dot(w3[0], xa) + dot(w3[1], xb); }
  return out;
}

// A decode kernel's output (row, col) from its reduced sum: the LoRA term's r steps (a short loop here rather than
// a second dispatch), then the epilogue.
fn finish_column(row: u32, col: u32, sum: f32) {
  var total = sum;
  if (HAS_LOW_RANK) {
    var low = 0.0;
    for (var t = 0u; t < params.rank; t++) {
      low += low_rank_u(row, t) * low_rank_v(col, t);
    }
    total += params.low_rank_scale * low;
  }
  epilogue(row, col, total);
}

// Adds the THREADS_PER_ROW threads' partial sums of one output column into partial[lid] of its first thread.
fn sum_lanes(lid: u32, lane: u32, acc: array<vec4<f32>, 2>) {
  partial[lid] = acc;
  for (var s = THREADS_PER_ROW / 2u; s > 0u; s /= 2u) {
    workgroupBarrier();
    if (lane < s) {
      partial[lid][0] += partial[lid + s][0];
      partial[lid][1] += partial[lid + s][1];
    }
  }
}

@compute @workgroup_size(ROWS_PER_GROUP * THREADS_PER_ROW)
fn matvec1(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let lane = lid % THREADS_PER_ROW;
  let col0 = ((wg.x + wg.y * groups.x) * ROWS_PER_GROUP + lid / THREADS_PER_ROW) * ROWS_PER_THREAD;
  // One sum per W row of this thread, each row written out (no indexed arrays: SwiftShader keeps those in memory).
  // Columns past the end read the last row again (never written).
  var sums = vec4<f32>(0.0);
  if (col0 < params.n) {
    let last = params.n - 1u;
    let r0 = params.row_offset + col0;
    let r1 = params.row_offset + min(col0 + 1u, last);
    let r2 = params.row_offset + min(col0 + 2u, last);
    let r3 = params.row_offset + min(col0 + 3u, last);
    let spans = params.k / 32u;
    for (var g = lane; g < spans; g += THREADS_PER_ROW) {
      let b = 8u * g;
      let xs = array<vec4<f32>, 8>(x[b], x[b + 1u], x[b + 2u], x[b + 3u], x[b + 4u], x[b + 5u], x[b + 6u], x[b + 7u]);
      let c = 32u * g;
      sums.x += w_dot(r0, c, params.k, xs);
      if (ROWS_PER_THREAD > 1u) { sums.y += w_dot(r1, c, params.k, xs); }
      if (ROWS_PER_THREAD > 2u) { sums.z += w_dot(r2, c, params.k, xs); }
      if (ROWS_PER_THREAD > 3u) { sums.w += w_dot(r3, c, params.k, xs); }
    }
    // A dense f32 W's K need only be a multiple of 8: the tail past the last whole span, eight values at a time.
    for (var g = spans * 4u + lane; g < params.k / 8u; g += THREADS_PER_ROW) {
      let xa = x[2u * g];
      let xb = x[2u * g + 1u];
      let c = 8u * g;
      sums.x += w_dot8(r0, c, xa, xb);
      if (ROWS_PER_THREAD > 1u) { sums.y += w_dot8(r1, c, xa, xb); }
      if (ROWS_PER_THREAD > 2u) { sums.z += w_dot8(r2, c, xa, xb); }
      if (ROWS_PER_THREAD > 3u) { sums.w += w_dot8(r3, c, xa, xb); }
    }
  }
  sum_lanes(lid, lane, array<vec4<f32>, 2>(sums, vec4<f32>(0.0)));
  if (lane != 0u) {
    return;
  }
  for (var r = 0u; r < ROWS_PER_THREAD; r++) {
    let col = col0 + r;
    if (col >= params.n) {
      break;
    }
    finish_column(0u, col, partial[lid][0][r]);
  }
}

// Σ W[row, col + i]·x[col + i] over i < 8, x's two vec4s given.
fn w_dot8(row: u32, col: u32, xa: vec4<f32>, xb: vec4<f32>) -> f32 {
  let w = w_load8(row, col, params.k);
  return dot(w[0], xa) + dot(w[1], xb);
}
