// The fused LoRA term of the tiled matmul kernels that carry one (matmul_forward, matmul_backward_input and
// their _quant twins), spliced in after matmul_register_block.wgsl: after the last step of the base product the
// reduction runs on over the adapter's rank, the two low-rank operands staged into the same tiles, so the
// adapter's share costs a few more steps of the kernel instead of a dispatch that rereads and rewrites the output.
//
// Contract with the kernel:
//   - HAS_LOW_RANK turns the term on; params.rank is the adapter's rank r, params.low_rank_scale its scale, and
//     params.m the output's rows; THREADS is the workgroup's thread count;
//   - low_rank_u(row, t) reads the [M, r] operand and low_rank_v(col, t) the other one, [low_rank_cols(), r]
//     (or its transpose), for row < M, col < low_rank_cols() and t < r only.

// Consecutive threads stage consecutive rows (columns) of one step t; zero outside the operands.
fn stage_low_rank(tid: u32, row0: u32, col0: u32, t0: u32) {
  for (var l = tid; l < TILE_M * TK; l += THREADS) {
    let row = row0 + l % TILE_M;
    let t = t0 + l / TILE_M;
    var u = 0.0;
    if (row < params.m && t < params.rank) {
      u = low_rank_u(row, t) * params.low_rank_scale;
    }
    a_tile[l / 4u][l % 4u] = u;
  }
  for (var l = tid; l < TILE_N * TK; l += THREADS) {
    let col = col0 + l % TILE_N;
    let t = t0 + l / TILE_N;
    var v = 0.0;
    if (col < low_rank_cols() && t < params.rank) {
      v = low_rank_v(col, t);
    }
    b_tile[l / 4u][l % 4u] = v;
  }
}

// Adds low_rank_scale · Σ_t U[row, t]·V[col, t] to thread (tx, ty)'s block of the tile at (row0, col0), after the
// base product's reduction and before the store.
fn finish_tile(tid: u32, tx: u32, ty: u32, row0: u32, col0: u32) {
  if (HAS_LOW_RANK) {
    for (var t0 = 0u; t0 < params.rank; t0 += TK) {
      stage_low_rank(tid, row0, col0, t0);
      multiply_staged(tx, ty, min(TK, params.rank - t0));
    }
  }
}
