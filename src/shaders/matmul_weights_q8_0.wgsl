// Q8_0 weights for the quantized matmul kernels (matmul_*_quant.wgsl), in the GPU layout of
// src/model/quant/gpu-layout.ts: wq holds each 32-value block's int8 quants as 8 words (read as two vec4s), ws its f16 scale d,
// two blocks per word. Value = d·q.
//
// Contract with the kernels: bindings 2 and 3 hold the weight, and w_load8(row, col, k) returns
// W[row, col .. col+7] (col a multiple of 8, k values per row) as two vec4s.

@group(0) @binding(2) var<storage, read> wq: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> ws: array<u32>;

fn w_half(i: u32) -> f32 {
  let pair = unpack2x16float(ws[i >> 1u]);
  return select(pair.x, pair.y, (i & 1u) == 1u);
}

// Four signed bytes of a word, byte 0 first: shift each to the top, then arithmetic-shift back down.
fn w_int8x4(word: u32) -> vec4<f32> {
  return vec4<f32>(bitcast<vec4<i32>>(vec4<u32>(word) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u));
}

fn w_load8(row: u32, col: u32, k: u32) -> mat2x4<f32> {
  let block = row * (k / 32u) + col / 32u;
  let word = block * 8u + (col % 32u) / 4u;
  let d = w_half(block);
  let v = wq[word / 4u];
  let h = word % 4u;
  return mat2x4<f32>(d * w_int8x4(v[h]), d * w_int8x4(v[h + 1u]));
}
