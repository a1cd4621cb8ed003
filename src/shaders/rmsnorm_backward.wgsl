// RMSNorm backward, input gradient. With y = x·r·w and r = rstd[t] saved by the forward pass:
//   dx[c] = r·w[c]·dy[c] − x[c]·(r³/C)·Σ_j dy[j]·w[j]·x[j]
// x, dY, dX [T, C]; w [C]; rstd [T]. One workgroup per row, workgroup_sum.wgsl as in the forward pass.
// ACCUMULATE adds into dX (the residual stream's gradient) instead of overwriting it.

override WORKGROUP_SIZE: u32 = 256u;
override ACCUMULATE: bool = false;

struct Params {
  rows: u32,
  channels: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>; // [T, C]
@group(0) @binding(2) var<storage, read> w: array<f32>; // [C]
@group(0) @binding(3) var<storage, read> rstd: array<f32>; // [T]
@group(0) @binding(4) var<storage, read> d_y: array<f32>; // [T, C]
@group(0) @binding(5) var<storage, read_write> d_x: array<f32>; // [T, C]

// One workgroup per row, started by row_grid.wgsl's entry point.
fn row_count() -> u32 {
  return params.rows;
}

fn row_work(row: u32, lane: u32) {
  let base = row * params.channels;
  var sum = 0.0;
  for (var c = lane; c < params.channels; c += WORKGROUP_SIZE) {
    sum += d_y[base + c] * w[c] * x[base + c];
  }
  let total = workgroup_sum(lane, sum);
  let r = rstd[row];
  let k = r * r * r * total / f32(params.channels);
  for (var c = lane; c < params.channels; c += WORKGROUP_SIZE) {
    var g = r * w[c] * d_y[base + c] - k * x[base + c];
    if (ACCUMULATE) {
      g += d_x[base + c];
    }
    d_x[base + c] = g;
  }
}
