// RMSNorm backward, input gradient. With y = x·r·w and r = rstd[t] saved by the forward pass:
//   dx[c] = r·w[c]·dy[c] − x[c]·(r³/C)·Σ_j dy[j]·w[j]·x[j]
// x, dY, dX [T, C]; w [C]; rstd [T]. One workgroup per row, tree reduction as in the forward pass.
// ACCUMULATE adds into dX (the residual stream's gradient) instead of overwriting it.

override WORKGROUP_SIZE: u32 = 256u;
override ACCUMULATE: bool = false;

struct Params {
  rows: u32,
  channels: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read> d_y: array<f32>;
@group(0) @binding(5) var<storage, read_write> d_x: array<f32>;

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
    sum += d_y[base + c] * w[c] * x[base + c];
  }
  partial[lane] = sum;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      partial[lane] += partial[lane + stride];
    }
    workgroupBarrier();
  }
  let r = rstd[row];
  let k = r * r * r * partial[0] / f32(params.channels);
  for (var c = lane; c < params.channels; c += WORKGROUP_SIZE) {
    var g = r * w[c] * d_y[base + c] - k * x[base + c];
    if (ACCUMULATE) {
      g += d_x[base + c];
    }
    d_x[base + c] = g;
  }
}
