// The workgroup tiling and entry points of the dense matmul kernels (matmul_forward, matmul_backward_input,
// matmul_backward_weight), spliced in with matmul_register_block.wgsl: a workgroup of WG_N × WG_M threads
// computes a TILE_M × TILE_N tile of the output, (8·WG_M) × (8·WG_N), staging TK reduction steps per barrier.
// Entry points: `main` stages with stage_scalar (one f32 at a time, bounds-checked: any shape) and `main_vec4`
// with stage_vec4 (vec4 loads, needing the kernel's contiguous dimensions to be multiples of 4). Both fill the
// same tiles, so everything after the staging is shared.
//
// The three share their uniforms, in the dimensions of a linear layer: Y [M, N] = X [M, K] · W[rows]ᵀ.
//
// Contract with the kernel:
//   - reduction_length(): the length of the reduction (K, N or M);
//   - stage_scalar(tid, row0, col0, d0), stage_vec4(…): stage reduction steps [d0, d0 + TK) of the tile whose
//     first output is (row0, col0) into a_tile and b_tile, zero outside the operands;
//   - finish_tile(tid, tx, ty, row0, col0): runs after the reduction, before the store (matmul_low_rank.wgsl's
//     fused LoRA term, or nothing).

override WG_N: u32 = 8u;
override WG_M: u32 = 8u;
override TK: u32 = 32u;
override TILE_M: u32 = WG_M * THREAD_ROWS;
override TILE_N: u32 = WG_N * THREAD_COLS;
override THREADS: u32 = WG_M * WG_N;

struct Params {
  m: u32, // tokens: rows of X, Y and their gradients
  n: u32, // output features: the rows of W this product uses
  k: u32, // input features
  row_offset: u32, // the first of W's (dW's) rows this product uses
  scale: f32, // of the product, before bias and residual
  rank: u32, // of the fused LoRA term (matmul_low_rank.wgsl); 0 without one
  low_rank_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;

// Workgroup (x, y) covers output columns [x·TILE_N, …) and rows [y·TILE_M, …).
@compute @workgroup_size(WG_N, WG_M)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * WG_N + lid.x;
  for (var d0 = 0u; d0 < reduction_length(); d0 += TK) {
    stage_scalar(tid, wid.y * TILE_M, wid.x * TILE_N, d0);
    multiply_staged(lid.x, lid.y, TK);
  }
  end_tile(tid, lid, wid);
}

@compute @workgroup_size(WG_N, WG_M)
fn main_vec4(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * WG_N + lid.x;
  for (var d0 = 0u; d0 < reduction_length(); d0 += TK) {
    stage_vec4(tid, wid.y * TILE_M, wid.x * TILE_N, d0);
    multiply_staged(lid.x, lid.y, TK);
  }
  end_tile(tid, lid, wid);
}

fn end_tile(tid: u32, lid: vec3<u32>, wid: vec3<u32>) {
  finish_tile(tid, lid.x, lid.y, wid.y * TILE_M, wid.x * TILE_N);
  store_block(lid.x, lid.y, wid.y * TILE_M, wid.x * TILE_N);
}
