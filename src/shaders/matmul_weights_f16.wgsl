// F16 weights for the quantized matmul kernels (matmul_*_quant.wgsl), in the GPU layout of
// src/model/quant/gpu-layout.ts: wq is the tensor's own bytes, two halves per word (the lower index in the low
// half, as a little-endian file stores them), unpacked with core WGSL's unpack2x16float (no shader-f16 needed).
// ws is a one-word stand-in: 16-bit weights have no scales.
//
// Contract with the kernels: bindings 2 and 3 hold the weight, and w_load8(row, col, k) returns
// W[row, col .. col+7] (col a multiple of 8, k values per row) as two vec4s.

@group(0) @binding(2) var<storage, read> wq: array<u32>;
@group(0) @binding(3) var<storage, read> ws: array<u32>;

fn w_load8(row: u32, col: u32, k: u32) -> mat2x4<f32> {
  // Keeps binding 3 in the pipeline's layout, which the launchers always bind.
  _ = ws[0];
  let word = (row * k + col) / 2u;
  let a = unpack2x16float(wq[word]);
  let b = unpack2x16float(wq[word + 1u]);
  let c = unpack2x16float(wq[word + 2u]);
  let d = unpack2x16float(wq[word + 3u]);
  return mat2x4<f32>(vec4<f32>(a, b), vec4<f32>(c, d));
}
