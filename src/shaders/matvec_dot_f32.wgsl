// One span of the one-token matrix-vector kernel's dot product over dense f32 weights (matmul_weights_f32.wgsl):
// 32 values of a W row against the same 32 of x, written out term by term (SwiftShader keeps a looped-over array
// in memory).
//
// Contract with the kernel (matmul_forward_quant.wgsl's `matvec1`): it declares the weight's bindings and passes
// xs, the span x[col .. col + 32) as vec4s; w_dot(row, col, k, xs) returns Σ W[row, col + i]·x[col + i] over
// i < 32, col a multiple of 32; the kernel reads any K % 32 tail with w_load8.

fn w_dot(row: u32, col: u32, k: u32, xs: array<vec4<f32>, 8>) -> f32 {
  _ = ws[0];
  let w = (row * k + col) / 4u;
  return dot(wq[w], xs[0]) + dot(wq[w + 1u], xs[1]) + dot(wq[w + 2u], xs[2]) + dot(wq[w + 3u], xs[3]) +
    dot(wq[w + 4u], xs[4]) + dot(wq[w + 5u], xs[5]) + dot(wq[w + 6u], xs[6]) + dot(wq[w + 7u], xs[7]);
}
