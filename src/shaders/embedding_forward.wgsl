// out[t, c] = table[ids[t], c]: the token-embedding gather. ids [T] u32, table [V, C], out [T, C].
// An id >= V cannot be caught by the launcher (ids live on the GPU), so its row of `out` is written as
// zeros instead of reading past the table.

struct Params {
  tokens: u32,
  channels: u32,
  vocab: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>; // [T]
@group(0) @binding(2) var<storage, read> table: array<f32>; // [V, C]
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // [T, C]

// One thread per value of out, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.tokens * params.channels;
}

fn element(i: u32) {
  let t = i / params.channels;
  let c = i - t * params.channels;
  let id = ids[t];
  var value = 0.0;
  if (id < params.vocab) {
    value = table[id * params.channels + c];
  }
  out[i] = value;
}
