// dTable[ids[t], c] += dOut[t, c] for every token t: the scatter-add of the embedding gradient.
// ids [T] u32, dOut [T, C], dTable [V, C] (already zeroed by the launcher unless accumulating).
//
// WGSL has no float atomics, so each element of dTable must have exactly one writer. Thread (c, b) owns
// column c of every vocabulary row whose id % ROW_BUCKETS == b and walks the tokens in order, adding only
// those in its bucket. Sums are therefore taken in token order, bit-identical from run to run and for any
// ROW_BUCKETS; the buckets only add parallelism beyond the C threads that one column each would give.
// Ids >= V are skipped: their gradient has no row to land in.

override WORKGROUP_SIZE: u32 = 256u;
override ROW_BUCKETS: u32 = 16u;

struct Params {
  tokens: u32,
  channels: u32,
  vocab: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>; // [T]
@group(0) @binding(2) var<storage, read> d_out: array<f32>; // [T, C]
@group(0) @binding(3) var<storage, read_write> d_table: array<f32>; // [V, C]

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = gid.x;
  let bucket = wid.y;
  if (c >= params.channels) {
    return;
  }
  for (var t = 0u; t < params.tokens; t++) {
    let id = ids[t];
    if (id < params.vocab && id % ROW_BUCKETS == bucket) {
      let at = id * params.channels + c;
      d_table[at] = d_table[at] + d_out[t * params.channels + c];
    }
  }
}
