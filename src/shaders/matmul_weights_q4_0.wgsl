// Q4_0 weights for the quantized matmul kernels (matmul_*_quant.wgsl), in the GPU layout of
// src/model/quant/gpu-layout.ts: wq holds each 32-value block's 16 quant bytes as 4 words (value i < 16 is
// the low nibble of byte i, value i + 16 its high nibble), ws its f16 scale d, two blocks per word.
// Value = d·(q − 8).
//
// Contract with the kernels: bindings 2 and 3 hold the weight, and w_load8(row, col, k) returns
// W[row, col .. col+7] (col a multiple of 8, k values per row) as two vec4s.

@group(0) @binding(2) var<storage, read> wq: array<u32>;
@group(0) @binding(3) var<storage, read> ws: array<u32>;

fn w_half(i: u32) -> f32 {
  let pair = unpack2x16float(ws[i >> 1u]);
  return select(pair.x, pair.y, (i & 1u) == 1u);
}

// The nibble at bit `shift` of each byte of a word, byte 0 first.
fn w_nibbles(word: u32, shift: u32) -> vec4<f32> {
  return vec4<f32>((vec4<u32>(word) >> (vec4<u32>(0u, 8u, 16u, 24u) + shift)) & vec4<u32>(15u));
}

fn w_load8(row: u32, col: u32, k: u32) -> mat2x4<f32> {
  let block = row * (k / 32u) + col / 32u;
  let j = col % 32u;
  let word = block * 4u + (j % 16u) / 4u;
  let shift = select(0u, 4u, j >= 16u);
  let d = w_half(block);
  return mat2x4<f32>(d * (w_nibbles(wq[word], shift) - 8.0), d * (w_nibbles(wq[word + 1u], shift) - 8.0));
}
