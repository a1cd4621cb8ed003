// The shrink of multi-adapter LoRA (Punica's BGMV), each row of the batch through its own adapter:
// u[m, t] = Σ_i x[m, i] · A_s[t, i] for t < r_s, s = row_slot[m]; u[m, t] = 0 for t ≥ r_s and for a row with no
// adapter (row_slot[m] ≥ slots, 0xFFFFFFFF by convention), so the expand may read u whole.
// x [M, in]; u [M, r_max]; row_slot [M]; table [slots] of (r_s, o_s, bitcast<u32>(c_s), 0); A_s [r_s, in] at float
// o_s · in of stack.
// Entry points: `main` (row_grid.wgsl), one workgroup per (m, t), pair m · r_max + t (the r_max workgroups of a
// row read the same x row side by side): each thread sums a strided slice, then workgroup_sum.wgsl adds them in a
// fixed order; `per_pair`, one thread per pair summing the whole row, for a CPU implementation (SwiftShader runs
// a workgroup's threads as SIMD lanes and splits the shader at every barrier: a decode batch's 40 pairs took
// 0.56 ms a dispatch as 40 workgroups of 8 threads).

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  pairs: u32, // M · r_max
  r_max: u32,
  in_features: u32,
  slots: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>; // [M, in]
@group(0) @binding(2) var<storage, read> stack: array<f32>; // A region, then B region
@group(0) @binding(3) var<storage, read> table: array<vec4<u32>>; // [slots]
@group(0) @binding(4) var<storage, read> row_slot: array<u32>; // [M]
@group(0) @binding(5) var<storage, read_write> u: array<f32>; // [M, r_max]

// One workgroup per (m, t) pair, started by row_grid.wgsl's entry point.
fn row_count() -> u32 {
  return params.pairs;
}

// Pair `pair`'s A row, and how many of its values to sum: 0 past the slot's rank and for a row with no adapter.
fn pair_row(pair: u32) -> vec2<u32> {
  let m = pair / params.r_max;
  let t = pair % params.r_max;
  let s = row_slot[m];
  var rank = 0u;
  var a_row = 0u;
  if (s < params.slots) {
    let entry = table[s];
    rank = entry.x;
    a_row = (entry.y + t) * params.in_features;
  }
  return vec2<u32>(a_row, select(0u, params.in_features, t < rank));
}

fn row_work(pair: u32, lane: u32) {
  // A pair past the slot's rank sums nothing, but its threads still reach the reduction, which holds barriers.
  let a = pair_row(pair);
  let x_row = (pair / params.r_max) * params.in_features;
  var sum = 0.0;
  for (var i = lane; i < a.y; i += WORKGROUP_SIZE) {
    sum += x[x_row + i] * stack[a.x + i];
  }
  let total = workgroup_sum(lane, sum);
  if (lane == 0u) {
    u[pair] = total;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn per_pair(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let pair = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (pair >= params.pairs) {
    return;
  }
  let a = pair_row(pair);
  let x_row = (pair / params.r_max) * params.in_features;
  var sum = 0.0;
  for (var i = 0u; i < a.y; i++) {
    sum += x[x_row + i] * stack[a.x + i];
  }
  u[pair] = sum;
}
