// One span of the one-token matrix-vector kernel's dot product for the formats without a span of their own
// (F16, BF16, Q4_K, Q6_K, NF4): 32 values as four of the format's w_load8, against the same 32 of x.
//
// Contract with the kernel (matmul_forward_quant.wgsl's `matvec1`): it declares the weight's bindings and passes
// xs, the span x[col .. col + 32) as vec4s; w_dot(row, col, k, xs) returns Σ W[row, col + i]·x[col + i] over
// i < 32, col a multiple of 32 (every block size these formats have is a multiple of 32).

fn w_dot(row: u32, col: u32, k: u32, xs: array<vec4<f32>, 8>) -> f32 {
  let a = w_load8(row, col, k);
  let b = w_load8(row, col + 8u, k);
  let c = w_load8(row, col + 16u, k);
  let d = w_load8(row, col + 24u, k);
  return dot(a[0], xs[0]) + dot(a[1], xs[1]) + dot(b[0], xs[2]) + dot(b[1], xs[3]) +
    dot(c[0], xs[4]) + dot(c[1], xs[5]) + dot(d[0], xs[6]) + dot(d[1], xs[7]);
}
