// out[t, c] = table[ids[t], c]: the token-embedding gather. ids [T] u32, table [V, C], out [T, C].
// An id >= V cannot be caught by the launcher (ids live on the GPU), so its row of `out` is written as
// zeros instead of reading past the table.

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  tokens: u32,
  channels: u32,
  vocab: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.tokens * params.channels) {
    return;
  }
  let t = i / params.channels;
  let c = i - t * params.channels;
  let id = ids[t];
  var value = 0.0;
  if (id < params.vocab) {
    value = table[id * params.channels + c];
  }
  out[i] = value;
}
