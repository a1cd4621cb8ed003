// out = a + b, elementwise over n values (the transformer's residual connection).
// The backward pass of a residual is the identity on both inputs, so it needs no kernel of its own;
// accumulating a gradient into an existing one uses residual_forward_inplace.

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) {
    return;
  }
  out[i] = a[i] + b[i];
}
