// NF4 weights for the quantized matmul kernels (matmul_*_quant.wgsl), in the GPU layout of
// src/model/quant/gpu-layout.ts: wq holds each 64-value block's 32 code bytes as 8 words (value 2i in the
// high nibble of byte i, value 2i+1 in the low nibble), ws its f32 absmax. Value = absmax·NF4[code].
//
// Contract with the kernels: bindings 2 and 3 hold the weight, and w_load8(row, col, k) returns
// W[row, col .. col+7] (col a multiple of 8, k values per row) as two vec4s.

@group(0) @binding(2) var<storage, read> wq: array<u32>;
@group(0) @binding(3) var<storage, read> ws: array<u32>;

// QLoRA's NormalFloat-4 code values (src/model/quant/nf4-code.ts), four per vector: picking a vector and then
// a lane keeps the lookup in registers, where an array indexed at run time may be spilled to memory.
const W_NF4_0 = vec4<f32>(-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453);
const W_NF4_1 = vec4<f32>(-0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0);
const W_NF4_2 = vec4<f32>(0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224);
const W_NF4_3 = vec4<f32>(0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0);

fn w_code(c: u32) -> f32 {
  let quad = select(select(W_NF4_0, W_NF4_1, c >= 4u), select(W_NF4_2, W_NF4_3, c >= 12u), c >= 8u);
  return quad[c & 3u];
}

// Codes of values 2b and 2b+1 sit in byte b: high nibble first.
fn w_codes(word: u32, shifts: vec4<u32>) -> vec4<f32> {
  let c = (vec4<u32>(word) >> shifts) & vec4<u32>(15u);
  return vec4<f32>(w_code(c.x), w_code(c.y), w_code(c.z), w_code(c.w));
}

fn w_load8(row: u32, col: u32, k: u32) -> mat2x4<f32> {
  let block = row * (k / 64u) + col / 64u;
  let word = wq[block * 8u + (col % 64u) / 8u];
  let absmax = bitcast<f32>(ws[block]);
  return mat2x4<f32>(
    absmax * w_codes(word, vec4<u32>(4u, 0u, 12u, 8u)),
    absmax * w_codes(word, vec4<u32>(20u, 16u, 28u, 24u)),
  );
}
