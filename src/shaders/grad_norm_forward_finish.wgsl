// out[out_index] = Σ partials[0 .. count), in one workgroup and a fixed order (deterministic).

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  count: u32,
  out_index: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>; // [count]
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [≥ out_index + 1]

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < params.count; i += WORKGROUP_SIZE) {
    acc += partials[i];
  }
  let total = workgroup_sum(lid, acc);
  if (lid == 0u) {
    out[params.out_index] = total;
  }
}
