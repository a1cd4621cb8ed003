// Llama RMSNorm: y[t, c] = x[t, c] * rstd[t] * w[c], rstd[t] = 1 / sqrt(mean_c(x[t, c]²) + eps).
// x, y [T, C]; w [C]; rstd [T] is saved for the backward pass.
// One workgroup per row: each thread sums a strided slice of the squares, then a tree reduction in
// workgroup memory (WORKGROUP_SIZE must be a power of two). Rows past 65,535 fold into workgroup_id.y.

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  rows: u32,
  channels: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= params.rows) {
    return;
  }
  let base = row * params.channels;
  var sum = 0.0;
  for (var c = lane; c < params.channels; c += WORKGROUP_SIZE) {
    let v = x[base + c];
    sum += v * v;
  }
  partial[lane] = sum;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      partial[lane] += partial[lane + stride];
    }
    workgroupBarrier();
  }
  let r = inverseSqrt(partial[0] / f32(params.channels) + params.eps);
  if (lane == 0u) {
    rstd[row] = r;
  }
  for (var c = lane; c < params.channels; c += WORKGROUP_SIZE) {
    y[base + c] = x[base + c] * r * w[c];
  }
}
