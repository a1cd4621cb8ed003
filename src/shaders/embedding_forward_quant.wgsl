// out[t, c] = W[ids[t], c] for a table that stays in its file's format (F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K,
// NF4): the token-embedding gather of embedding_forward.wgsl, each thread decoding 8 values of one row through
// the format's w_load8 (matmul_weights_<format>.wgsl, spliced in; bindings 2 and 3). ids [T] u32, out [T, C].
//
// A table larger than one binding is stored in parts of consecutive rows; the launcher dispatches once per part,
// and each dispatch writes the tokens whose row the part holds. An id >= V (ids live on the GPU, so the launcher
// cannot catch it) gets a row of zeros, written by the first part's dispatch, instead of a read past the table.

struct Params {
  tokens: u32,
  channels: u32,
  vocab: u32,
  // Rows [row_start, row_start + rows) of the table are in this part.
  row_start: u32,
  rows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>; // [T]
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // [T, C]

// One thread per 8 values of out, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.tokens * (params.channels / 8u);
}

fn element(i: u32) {
  let groups = params.channels / 8u;
  let t = i / groups;
  let c = (i - t * groups) * 8u;
  let id = ids[t];
  var w = mat2x4<f32>();
  if (id >= params.row_start && id < params.row_start + params.rows) {
    w = w_load8(id - params.row_start, c, params.channels);
  } else if (!(id >= params.vocab && params.row_start == 0u)) {
    return; // another part's row
  }
  let at = t * params.channels + c;
  for (var e = 0u; e < 8u; e++) {
    out[at + e] = w[e / 4u][e % 4u];
  }
}
