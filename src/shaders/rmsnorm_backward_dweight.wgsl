// RMSNorm backward, weight gradient: dw[c] = Σ_t dy[t, c]·x[t, c]·rstd[t], a reduction over rows.
// x, dY [T, C]; rstd [T]; dW [C].
// A workgroup is TILE_COLUMNS adjacent columns × ROW_LANES lanes; lane k sums rows k, k + ROW_LANES, … in
// order, then lane 0 adds the lanes' sums in order. Without atomics, the result is the same on every run.
// ACCUMULATE adds into dW (gradient accumulation across micro-batches) instead of overwriting it.

override TILE_COLUMNS: u32 = 32u;
override ROW_LANES: u32 = 8u;
override ACCUMULATE: bool = false;

struct Params {
  rows: u32,
  channels: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>; // [T, C]
@group(0) @binding(2) var<storage, read> rstd: array<f32>; // [T]
@group(0) @binding(3) var<storage, read> d_y: array<f32>; // [T, C]
@group(0) @binding(4) var<storage, read_write> d_w: array<f32>; // [C]

var<workgroup> partial: array<f32, TILE_COLUMNS * ROW_LANES>;

@compute @workgroup_size(TILE_COLUMNS, ROW_LANES)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = wid.x * TILE_COLUMNS + lid.x;
  let inside = c < params.channels;
  var sum = 0.0;
  if (inside) {
    for (var t = lid.y; t < params.rows; t += ROW_LANES) {
      let at = t * params.channels + c;
      sum += d_y[at] * x[at] * rstd[t];
    }
  }
  partial[lid.y * TILE_COLUMNS + lid.x] = sum;
  workgroupBarrier();
  if (inside && lid.y == 0u) {
    var total = 0.0;
    for (var k = 0u; k < ROW_LANES; k++) {
      total += partial[k * TILE_COLUMNS + lid.x];
    }
    if (ACCUMULATE) {
      total += d_w[c];
    }
    d_w[c] = total;
  }
}
