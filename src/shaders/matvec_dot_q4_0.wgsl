// One span of the one-token matrix-vector kernel's dot product over Q4_0 weights (matmul_weights_q4_0.wgsl): a
// whole 32-value block, word i's low nibbles (values 4i..4i+3) and high nibbles (16+4i..) against their x, the
// offset of 8 subtracted per value and the scale d applied once to the block's sum; written out term by term.
//
// Contract with the kernel (matmul_forward_quant.wgsl's `matvec1`): it declares the weight's bindings and passes
// xs, the span x[col .. col + 32) as vec4s; w_dot(row, col, k, xs) returns Σ W[row, col + i]·x[col + i] over
// i < 32, col a multiple of 32.

fn w_dot(row: u32, col: u32, k: u32, xs: array<vec4<f32>, 8>) -> f32 {
  let block = row * (k / 32u) + col / 32u;
  let q = block * 4u;
  let a = wq[q];
  let b = wq[q + 1u];
  let c = wq[q + 2u];
  let d = wq[q + 3u];
  let s = dot(w_nibbles(a, 0u) - 8.0, xs[0]) + dot(w_nibbles(b, 0u) - 8.0, xs[1]) +
    dot(w_nibbles(c, 0u) - 8.0, xs[2]) + dot(w_nibbles(d, 0u) - 8.0, xs[3]) +
    dot(w_nibbles(a, 4u) - 8.0, xs[4]) + dot(w_nibbles(b, 4u) - 8.0, xs[5]) +
    dot(w_nibbles(c, 4u) - 8.0, xs[6]) + dot(w_nibbles(d, 4u) - 8.0, xs[7]);
  return w_half(block) * s;
}
