// Dense f32 weights for the matrix-vector kernel of matmul_forward_quant.wgsl (`matvec`, decode), so a float32
// base decodes with the same kernel as the stored formats: wq is W [N, K] row-major as vec4s (K a multiple of 8);
// ws is a stand-in (dense weights have no scales).
//
// Contract with the kernels: bindings 2 and 3 hold the weight, and w_load8(row, col, k) returns
// W[row, col .. col+7] (col a multiple of 8, k values per row) as two vec4s.

@group(0) @binding(2) var<storage, read> wq: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> ws: array<u32>;

fn w_load8(row: u32, col: u32, k: u32) -> mat2x4<f32> {
  // Keeps binding 3 in the pipeline's layout, which the launchers always bind.
  _ = ws[0];
  let i = (row * k + col) / 4u;
  return mat2x4<f32>(wq[i], wq[i + 1u]);
}
