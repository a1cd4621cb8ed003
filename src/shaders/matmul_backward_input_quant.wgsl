// dX[M, K] = scale · dY[M, N] · W[rows] (+ dX if ACCUMULATE), W quantized: the weight's bindings and its
// decoder w_load8 come from matmul_weights_<format>.wgsl, appended by the launcher. Column j of dY
// (dy[:, dy_col + j]) pairs with W row row_offset + j, so a weight stored in several parts is reduced
// part by part, later parts accumulating.
//
// With HAS_LOW_RANK (a LoRA adapter on this base), dX also gets low_rank_scale · dU·A (dU [M, rank], A [rank, K])
// as rank more reduction steps; the launcher passes rank 0 to every part but the first. Needs scale = 1.
//
// One workgroup per 64×64 tile of dX (8×8 threads, 8×8 outputs each, as matmul_backward_input.wgsl), reducing
// over N in steps of TILE_N: each step dequantizes TILE_N rows × 64 columns of W into workgroup memory.

override TILE: u32 = 64u; // outputs per workgroup along M and along K: 8 threads × 8 (fixed by main)
override TILE_N: u32 = 32u;
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
@group(0) @binding(1) var<storage, read> dy: array<f32>;
// @binding(2), @binding(3): the quantized weight, declared by matmul_weights_<format>.wgsl
@group(0) @binding(4) var<storage, read_write> dx: array<vec4<f32>>; // [M, K/4]
@group(0) @binding(5) var<storage, read> low_du: array<f32>; // [M, rank]
@group(0) @binding(6) var<storage, read> low_a: array<f32>; // [rank, K]

var<workgroup> dy_tile: array<vec4<f32>, TILE_N * TILE / 4u>; // [nn][m / 4]
var<workgroup> w_tile: array<vec4<f32>, TILE_N * TILE / 4u>; // [nn][k / 4]

// `main`'s 8×8 block of dX per thread (rows 8·ty.., cols 8·tx..), in named vec4s.
var<private> c00: vec4<f32>; var<private> c01: vec4<f32>;
var<private> c10: vec4<f32>; var<private> c11: vec4<f32>;
var<private> c20: vec4<f32>; var<private> c21: vec4<f32>;
var<private> c30: vec4<f32>; var<private> c31: vec4<f32>;
var<private> c40: vec4<f32>; var<private> c41: vec4<f32>;
var<private> c50: vec4<f32>; var<private> c51: vec4<f32>;
var<private> c60: vec4<f32>; var<private> c61: vec4<f32>;
var<private> c70: vec4<f32>; var<private> c71: vec4<f32>;

fn multiply_tiles(tx: u32, ty: u32, steps: u32) {
  for (var nn = 0u; nn < steps; nn++) {
    let a0 = dy_tile[nn * (TILE / 4u) + 2u * ty];
    let a1 = dy_tile[nn * (TILE / 4u) + 2u * ty + 1u];
    let b0 = w_tile[nn * (TILE / 4u) + 2u * tx];
    let b1 = w_tile[nn * (TILE / 4u) + 2u * tx + 1u];
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

// K is a multiple of 32, so a vec4 of columns is either wholly inside dX or wholly outside.
fn store4(row: u32, col: u32, acc: vec4<f32>) {
  if (row >= params.m || col >= params.k) {
    return;
  }
  let at = (row * params.k + col) / 4u;
  var result = params.scale * acc;
  if (ACCUMULATE) {
    result += dx[at];
  }
  dx[at] = result;
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let m0 = wg.y * TILE;
  let k0 = wg.x * TILE;
  let tx = lid % 8u;
  let ty = lid / 8u;
  for (var n0 = 0u; n0 < params.n; n0 += TILE_N) {
    for (var i = lid; i < TILE * TILE_N; i += 64u) {
      let r = i % TILE;
      let nn = i / TILE;
      var v = 0.0;
      if (m0 + r < params.m && n0 + nn < params.n) {
        v = dy[(m0 + r) * params.dy_stride + params.dy_col + n0 + nn];
      }
      dy_tile[nn * (TILE / 4u) + r / 4u][r % 4u] = v;
    }
    // Consecutive threads dequantize consecutive 8-value groups of one W row.
    for (var i = lid; i < TILE * TILE_N / 8u; i += 64u) {
      let kg = i % (TILE / 8u);
      let nn = i / (TILE / 8u);
      var w = mat2x4<f32>();
      if (n0 + nn < params.n && k0 + 8u * kg < params.k) {
        w = w_load8(params.row_offset + n0 + nn, k0 + 8u * kg, params.k);
      }
      w_tile[nn * (TILE / 4u) + 2u * kg] = w[0];
      w_tile[nn * (TILE / 4u) + 2u * kg + 1u] = w[1];
    }
    workgroupBarrier();
    multiply_tiles(tx, ty, TILE_N);
    workgroupBarrier();
  }
  if (HAS_LOW_RANK) {
    for (var t0 = 0u; t0 < params.rank; t0 += TILE_N) {
      for (var i = lid; i < TILE * TILE_N; i += 64u) {
        let r = i % TILE;
        let nn = i / TILE;
        let t = t0 + nn;
        var a = 0.0;
        var b = 0.0;
        if (t < params.rank) {
          if (m0 + r < params.m) { a = low_du[(m0 + r) * params.rank + t] * params.low_rank_scale; }
          if (k0 + r < params.k) { b = low_a[t * params.k + k0 + r]; }
        }
        dy_tile[nn * (TILE / 4u) + r / 4u][r % 4u] = a;
        w_tile[nn * (TILE / 4u) + r / 4u][r % 4u] = b;
      }
      workgroupBarrier();
      multiply_tiles(tx, ty, min(TILE_N, params.rank - t0));
      workgroupBarrier();
    }
  }
  let row = m0 + 8u * ty;
  let col = k0 + 8u * tx;
  store4(row, col, c00); store4(row, col + 4u, c01);
  store4(row + 1u, col, c10); store4(row + 1u, col + 4u, c11);
  store4(row + 2u, col, c20); store4(row + 2u, col + 4u, c21);
  store4(row + 3u, col, c30); store4(row + 3u, col + 4u, c31);
  store4(row + 4u, col, c40); store4(row + 4u, col + 4u, c41);
  store4(row + 5u, col, c50); store4(row + 5u, col + 4u, c51);
  store4(row + 6u, col, c60); store4(row + 6u, col + 4u, c61);
  store4(row + 7u, col, c70); store4(row + 7u, col + 4u, c71);
}
