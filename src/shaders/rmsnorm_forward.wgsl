// Llama RMSNorm: y[t, c] = x[t, c] * rstd[t] * w[c], rstd[t] = 1 / sqrt(mean_c(x[t, c]²) + eps).
// x, y [T, C]; w [C]; rstd [T] is saved for the backward pass.
// One workgroup per row: each thread sums a strided slice of the squares, then workgroup_sum.wgsl adds them (a
// tree reduction; WORKGROUP_SIZE must be a power of two). Rows past 65,535 fold into workgroup_id.y.

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  rows: u32,
  channels: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>; // [T, C]
@group(0) @binding(2) var<storage, read> w: array<f32>; // [C]
@group(0) @binding(3) var<storage, read_write> y: array<f32>; // [T, C]
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>; // [T]

// One workgroup per row, started by row_grid.wgsl's entry point.
fn row_count() -> u32 {
  return params.rows;
}

fn row_work(row: u32, lane: u32) {
  let base = row * params.channels;
  var sum = 0.0;
  for (var c = lane; c < params.channels; c += WORKGROUP_SIZE) {
    let v = x[base + c];
    sum += v * v;
  }
  let total = workgroup_sum(lane, sum);
  let r = inverseSqrt(total / f32(params.channels) + params.eps);
  if (lane == 0u) {
    rstd[row] = r;
  }
  for (var c = lane; c < params.channels; c += WORKGROUP_SIZE) {
    y[base + c] = x[base + c] * r * w[c];
  }
}
