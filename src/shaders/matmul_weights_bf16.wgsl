// BF16 weights for the quantized matmul kernels (matmul_*_quant.wgsl), in the GPU layout of
// src/model/quant/gpu-layout.ts: wq is the tensor's own bytes, two bfloat16 per word (the lower index in the
// low half). A bfloat16 is the top 16 bits of an f32, so each is a shift or a mask away from its value.
// ws is a one-word stand-in: 16-bit weights have no scales.
//
// Contract with the kernels: bindings 2 and 3 hold the weight, and w_load8(row, col, k) returns
// W[row, col .. col+7] (col a multiple of 8, k values per row) as two vec4s.

@group(0) @binding(2) var<storage, read> wq: array<u32>;
@group(0) @binding(3) var<storage, read> ws: array<u32>;

fn w_bf16x2(word: u32) -> vec2<f32> {
  return vec2<f32>(bitcast<f32>(word << 16u), bitcast<f32>(word & 0xffff0000u));
}

fn w_load8(row: u32, col: u32, k: u32) -> mat2x4<f32> {
  // Keeps binding 3 in the pipeline's layout, which the launchers always bind.
  _ = ws[0];
  let word = (row * k + col) / 2u;
  return mat2x4<f32>(
    vec4<f32>(w_bf16x2(wq[word]), w_bf16x2(wq[word + 1u])),
    vec4<f32>(w_bf16x2(wq[word + 2u]), w_bf16x2(wq[word + 3u])),
  );
}
