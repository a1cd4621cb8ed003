// One span of the one-token matrix-vector kernel's dot product over Q8_0 weights (matmul_weights_q8_0.wgsl): a
// whole 32-value block, its quants summed against x and its scale d applied once to the block's sum (rather than
// to each value, as w_load8 must for the tiled kernels); written out term by term.
//
// Contract with the kernel (matmul_forward_quant.wgsl's `matvec1`): it declares the weight's bindings and passes
// xs, the span x[col .. col + 32) as vec4s; w_dot(row, col, k, xs) returns Σ W[row, col + i]·x[col + i] over
// i < 32, col a multiple of 32.

fn w_dot(row: u32, col: u32, k: u32, xs: array<vec4<f32>, 8>) -> f32 {
  let block = row * (k / 32u) + col / 32u;
  let lo = wq[2u * block];
  let hi = wq[2u * block + 1u];
  let s = dot(w_int8x4(lo.x), xs[0]) + dot(w_int8x4(lo.y), xs[1]) + dot(w_int8x4(lo.z), xs[2]) +
    dot(w_int8x4(lo.w), xs[3]) + dot(w_int8x4(hi.x), xs[4]) + dot(w_int8x4(hi.y), xs[5]) +
    dot(w_int8x4(hi.z), xs[6]) + dot(w_int8x4(hi.w), xs[7]);
  return w_half(block) * s;
}
