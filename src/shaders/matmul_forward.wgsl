// Y[M,N] = scale · (X[M,K] · W[rowOffset : rowOffset+N, K]ᵀ) + bias[rowOffset + n] + residual[M,N] (+ Y if accumulate)
// nn.Linear layout: W is [out, in]. Placeholder: one thread per output; to be replaced by a register-blocked kernel.

override WORKGROUP_SIZE: u32 = 64u;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override ACCUMULATE: bool = false;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  row_offset: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.m * params.n) {
    return;
  }
  let row = i / params.n;
  let col = i % params.n;
  var acc = 0.0;
  let wBase = (params.row_offset + col) * params.k;
  for (var kk = 0u; kk < params.k; kk++) {
    acc += x[row * params.k + kk] * w[wBase + kk];
  }
  var result = params.scale * acc;
  if (HAS_BIAS) {
    result += bias[params.row_offset + col];
  }
  if (HAS_RESIDUAL) {
    result += residual[i];
  }
  if (ACCUMULATE) {
    result += y[i];
  }
  y[i] = result;
}
