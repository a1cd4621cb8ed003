// Q4_K weights for the quantized matmul kernels (matmul_*_quant.wgsl), in the GPU layout of
// src/model/quant/gpu-layout.ts: per 256-value block, wq holds 35 words (the 12 bytes of packed 6-bit
// scales and mins, then the 128 quant bytes) and ws one word (f16 d, f16 dmin). Values 64c .. 64c+31 are the
// low nibbles of quant bytes 32c .. 32c+31, values 64c+32 .. 64c+63 their high nibbles; sub-block
// j = value / 32 has scale sc[j] and min m[j]. Value = d·sc[j]·q − dmin·m[j].
//
// Contract with the kernels: bindings 2 and 3 hold the weight, and w_load8(row, col, k) returns
// W[row, col .. col+7] (col a multiple of 8, k values per row) as two vec4s.

@group(0) @binding(2) var<storage, read> wq: array<u32>;
@group(0) @binding(3) var<storage, read> ws: array<u32>;

const W_BLOCK_WORDS: u32 = 35u;

fn w_scale_byte(base: u32, i: u32) -> u32 {
  return (wq[base + i / 4u] >> (8u * (i % 4u))) & 255u;
}

fn w_nibbles(word: u32, shift: u32) -> vec4<f32> {
  return vec4<f32>((vec4<u32>(word) >> (vec4<u32>(0u, 8u, 16u, 24u) + shift)) & vec4<u32>(15u));
}

fn w_load8(row: u32, col: u32, k: u32) -> mat2x4<f32> {
  let block = row * (k / 256u) + col / 256u;
  let base = block * W_BLOCK_WORDS;
  let j = col % 256u;
  let sub = j / 32u;
  // ggml's get_scale_min_k4: sub-blocks 0-3 use the low 6 bits of bytes j and j+4; sub-blocks 4-7 take
  // their low 4 bits from byte j+4 and their top 2 bits from the spare top bits of bytes j-4 and j.
  var sc: u32;
  var mn: u32;
  if (sub < 4u) {
    sc = w_scale_byte(base, sub) & 63u;
    mn = w_scale_byte(base, sub + 4u) & 63u;
  } else {
    let packed = w_scale_byte(base, sub + 4u);
    sc = (packed & 15u) | ((w_scale_byte(base, sub - 4u) >> 6u) << 4u);
    mn = (packed >> 4u) | ((w_scale_byte(base, sub) >> 6u) << 4u);
  }
  let dm = unpack2x16float(ws[block]);
  let scale = dm.x * f32(sc);
  let offset = dm.y * f32(mn);
  let byte = 32u * (j / 64u) + j % 32u;
  let word = base + 3u + byte / 4u;
  let shift = select(0u, 4u, (j % 64u) >= 32u);
  return mat2x4<f32>(scale * w_nibbles(wq[word], shift) - offset, scale * w_nibbles(wq[word + 1u], shift) - offset);
}
