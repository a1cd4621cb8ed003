// dW[rowOffset + n, k] = scale · Σ_m dY[m, n] · X[m, k] (+ dW if accumulate); dY [M,N], X [M,K], dW [N_total, K].
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
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n * params.k) {
    return;
  }
  let n = i / params.k;
  let col = i % params.k;
  var acc = 0.0;
  for (var mm = 0u; mm < params.m; mm++) {
    acc += dy[mm * params.n + n] * x[mm * params.k + col];
  }
  let at = (params.row_offset + n) * params.k + col;
  var result = params.scale * acc;
  if (ACCUMULATE) {
    result += dw[at];
  }
  dw[at] = result;
}
