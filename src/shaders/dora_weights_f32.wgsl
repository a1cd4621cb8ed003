// Dense f32 weights for dora_scale_forward.wgsl: W [N, K] row-major, any K (the columns past K read as 0); ws is a stand-in
// (dense weights have no scales).
//
// Contract with the kernel: bindings 2 and 3 hold the weight, and w_load8(row, col, k) returns
// W[row, col .. col+7] as two vec4s.

@group(0) @binding(2) var<storage, read> wq: array<f32>;
@group(0) @binding(3) var<storage, read> ws: array<f32>;

fn w_load8(row: u32, col: u32, k: u32) -> mat2x4<f32> {
  // Keeps binding 3 in the pipeline's layout, which the launcher always binds.
  _ = ws[0];
  var v: array<f32, 8>;
  for (var e = 0u; e < 8u; e++) {
    v[e] = select(0.0, wq[row * k + col + e], col + e < k);
  }
  return mat2x4<f32>(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
}
