// The expand of multi-adapter LoRA (Punica's BGMV), each row of the batch through its own adapter:
// y[m, col] += c_s · Σ_{t < r_s} u[m, t] · B_s[col, t], s = row_slot[m]. A row with no adapter (row_slot[m] ≥
// slots, 0xFFFFFFFF by convention) or of a slot with r_s = 0 is not written, so it keeps the base output bit for bit.
// u [M, r_max]; y [M, out]; row_slot [M]; table [slots] of (r_s, o_s, bitcast<u32>(c_s), 0); B_s [out, r_s] at
// float total_rank · in + o_s · out of stack (after the A region of every slot).

struct Params {
  count: u32, // M · out
  out_features: u32,
  in_features: u32,
  r_max: u32,
  total_rank: u32,
  slots: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> u: array<f32>; // [M, r_max]
@group(0) @binding(2) var<storage, read> stack: array<f32>; // A region, then B region
@group(0) @binding(3) var<storage, read> table: array<vec4<u32>>; // [slots]
@group(0) @binding(4) var<storage, read> row_slot: array<u32>; // [M]
@group(0) @binding(5) var<storage, read_write> y: array<f32>; // [M, out]

// One thread per (m, col), started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.count;
}

fn element(i: u32) {
  let m = i / params.out_features;
  let col = i % params.out_features;
  let s = row_slot[m];
  if (s >= params.slots) {
    return;
  }
  let entry = table[s];
  // u holds r_max values a row: a table with a larger rank must not read into the next row.
  let rank = min(entry.x, params.r_max);
  if (rank == 0u) {
    return;
  }
  let b_row = params.total_rank * params.in_features + entry.y * params.out_features + col * entry.x;
  let u_row = m * params.r_max;
  var sum = 0.0;
  for (var t = 0u; t < rank; t++) {
    sum += u[u_row + t] * stack[b_row + t];
  }
  y[i] += bitcast<f32>(entry.z) * sum;
}
