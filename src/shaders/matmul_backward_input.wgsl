// dX[M,K] = scale · dY[M,N] · W[rowOffset : rowOffset+N, K] (+ dX if accumulate)
// Placeholder: one thread per output; to be replaced by a register-blocked kernel.

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  row_offset: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.m * params.k) {
    return;
  }
  let row = i / params.k;
  let col = i % params.k;
  var acc = 0.0;
  for (var nn = 0u; nn < params.n; nn++) {
    acc += dy[row * params.n + nn] * w[(params.row_offset + nn) * params.k + col];
  }
  var result = params.scale * acc;
  if (ACCUMULATE) {
    result += dx[i];
  }
  dx[i] = result;
}
