// dX[M, K] = scale · dY[M, N] · W[rows] (+ dX if ACCUMULATE), W quantized: the weight's bindings and its
// decoder w_load8 come from matmul_weights_<format>.wgsl, appended by the launcher. Column j of dY
// (dy[:, dy_col + j]) pairs with W row row_offset + j, so a weight stored in several parts is reduced
// part by part, later parts accumulating.
//
// With HAS_LOW_RANK (a LoRA adapter on this base), dX also gets low_rank_scale · dU·A (dU [M, rank], A [rank, K])
// as rank more reduction steps; the launcher passes rank 0 to every part but the first. Needs scale = 1.
//
// One workgroup per 64×64 tile of dX (16×16 threads, 4×4 outputs each), reducing over N in steps of
// TILE_N: each step dequantizes TILE_N rows × 64 columns of W into workgroup memory.

override TILE: u32 = 64u; // outputs per workgroup along M and along K: 16 threads × 4
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

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let m0 = wg.y * TILE;
  let k0 = wg.x * TILE;
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<vec4<f32>, 4>;
  for (var n0 = 0u; n0 < params.n; n0 += TILE_N) {
    for (var i = lid; i < TILE * TILE_N; i += 256u) {
      let r = i % TILE;
      let nn = i / TILE;
      var v = 0.0;
      if (m0 + r < params.m && n0 + nn < params.n) {
        v = dy[(m0 + r) * params.dy_stride + params.dy_col + n0 + nn];
      }
      dy_tile[nn * (TILE / 4u) + r / 4u][r % 4u] = v;
    }
    // Consecutive threads dequantize consecutive 8-value groups of one W row.
    for (var i = lid; i < TILE * TILE_N / 8u; i += 256u) {
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
    for (var nn = 0u; nn < TILE_N; nn++) {
      let a = dy_tile[nn * (TILE / 4u) + ty];
      let b = w_tile[nn * (TILE / 4u) + tx];
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  if (HAS_LOW_RANK) {
    for (var t0 = 0u; t0 < params.rank; t0 += TILE_N) {
      for (var i = lid; i < TILE * TILE_N; i += 256u) {
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
      for (var nn = 0u; nn < min(TILE_N, params.rank - t0); nn++) {
        let a = dy_tile[nn * (TILE / 4u) + ty];
        let b = w_tile[nn * (TILE / 4u) + tx];
        acc[0] += a.x * b;
        acc[1] += a.y * b;
        acc[2] += a.z * b;
        acc[3] += a.w * b;
      }
      workgroupBarrier();
    }
  }
  let col = k0 + 4u * tx;
  if (col >= params.k) {
    return;
  }
  for (var i = 0u; i < 4u; i++) {
    let row = m0 + 4u * ty + i;
    if (row < params.m) {
      let at = (row * params.k + col) / 4u;
      var result = params.scale * acc[i];
      if (ACCUMULATE) {
        result += dx[at];
      }
      dx[at] = result;
    }
  }
}
