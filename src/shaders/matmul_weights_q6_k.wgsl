// Q6_K weights for the quantized matmul kernels (matmul_*_quant.wgsl), in the GPU layout of
// src/model/quant/gpu-layout.ts: per 256-value block, wq holds 52 words (ql[128], qh[64], int8 scales[16],
// as in ggml's block_q6_K) and ws the f16 scale d, two blocks per word. In half h (128 values), quarter
// r = 0..3 (32 values), position l: the low 4 bits come from ql[64h + 32·(r & 1) + l] (low nibble for r < 2,
// high nibble for r >= 2), the top 2 bits from bits 2r, 2r+1 of qh[32h + l], and the scale is
// scales[8h + 2r + l/16]. Value = d·scale·(q − 32).
//
// Contract with the kernels: bindings 2 and 3 hold the weight, and w_load8(row, col, k) returns
// W[row, col .. col+7] (col a multiple of 8, k values per row) as two vec4s.

@group(0) @binding(2) var<storage, read> wq: array<u32>;
@group(0) @binding(3) var<storage, read> ws: array<u32>;

const W_BLOCK_WORDS: u32 = 52u;
const W_BYTE_SHIFTS = vec4<u32>(0u, 8u, 16u, 24u);

fn w_half(i: u32) -> f32 {
  let pair = unpack2x16float(ws[i >> 1u]);
  return select(pair.x, pair.y, (i & 1u) == 1u);
}

// Four 6-bit quants, centred: low bits from `low` at nibble `lowShift`, top bits from `high` at `highShift`.
fn w_quants(low: u32, lowShift: u32, high: u32, highShift: u32) -> vec4<f32> {
  let lo = (vec4<u32>(low) >> (W_BYTE_SHIFTS + lowShift)) & vec4<u32>(15u);
  let hi = (vec4<u32>(high) >> (W_BYTE_SHIFTS + highShift)) & vec4<u32>(3u);
  return vec4<f32>(lo | (hi << vec4<u32>(4u))) - 32.0;
}

fn w_load8(row: u32, col: u32, k: u32) -> mat2x4<f32> {
  let block = row * (k / 256u) + col / 256u;
  let base = block * W_BLOCK_WORDS;
  let j = col % 256u;
  let h = j / 128u;
  let r = (j % 128u) / 32u;
  let l = j % 32u;
  let lowWord = base + (64u * h + 32u * (r & 1u) + l) / 4u;
  let highWord = base + 32u + (32u * h + l) / 4u;
  let lowShift = select(0u, 4u, r >= 2u);
  let scaleIndex = 8u * h + 2u * r + l / 16u;
  let scale = f32(extractBits(bitcast<i32>(wq[base + 48u + scaleIndex / 4u]), 8u * (scaleIndex % 4u), 8u));
  let ds = w_half(block) * scale;
  return mat2x4<f32>(
    ds * w_quants(wq[lowWord], lowShift, wq[highWord], 2u * r),
    ds * w_quants(wq[lowWord + 1u], lowShift, wq[highWord + 1u], 2u * r),
  );
}
