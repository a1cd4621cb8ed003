// Partial sums of squares for up to 7 gradient tensors in one dispatch (7 inputs + the partials buffer fit
// WebGPU's default limit of 8 storage buffers per stage). Each workgroup squares and sums one block of
// WORKGROUP_SIZE·ELEMENTS_PER_THREAD elements of one tensor and writes one partial; the finishing kernel adds
// the partials in index order, so the result is the same on every run.
// Tensor j covers workgroups starts[j] .. starts[j] + ceil(sizes[j] / block); slots past `tensors` are unused.

override WORKGROUP_SIZE: u32 = 256u;
override ELEMENTS_PER_THREAD: u32 = 8u;

struct Params {
  tensors: u32,
  partial_base: u32,
  groups: u32,
  _pad: u32,
  sizes: array<vec4<u32>, 2>,
  starts: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g0: array<f32>; // [sizes[0]]
@group(0) @binding(2) var<storage, read> g1: array<f32>; // [sizes[1]]
@group(0) @binding(3) var<storage, read> g2: array<f32>; // [sizes[2]]
@group(0) @binding(4) var<storage, read> g3: array<f32>; // [sizes[3]]
@group(0) @binding(5) var<storage, read> g4: array<f32>; // [sizes[4]]
@group(0) @binding(6) var<storage, read> g5: array<f32>; // [sizes[5]]
@group(0) @binding(7) var<storage, read> g6: array<f32>; // [sizes[6]]
@group(0) @binding(8) var<storage, read_write> partials: array<f32>; // [partial_base + groups]

// Bindings cannot be indexed dynamically, hence the switch; `which` is uniform across the workgroup.
fn load(which: u32, i: u32) -> f32 {
  switch which {
    case 0u: { return g0[i]; }
    case 1u: { return g1[i]; }
    case 2u: { return g2[i]; }
    case 3u: { return g3[i]; }
    case 4u: { return g4[i]; }
    case 5u: { return g5[i]; }
    default: { return g6[i]; }
  }
}

// One workgroup per block, started by row_grid.wgsl's entry point.
fn row_count() -> u32 {
  return params.groups;
}

fn row_work(group: u32, lid: u32) {
  var which = 0u;
  for (var j = 1u; j < params.tensors; j++) {
    if (params.starts[j / 4u][j % 4u] <= group) {
      which = j;
    }
  }
  let size = params.sizes[which / 4u][which % 4u];
  let block = WORKGROUP_SIZE * ELEMENTS_PER_THREAD;
  let first = (group - params.starts[which / 4u][which % 4u]) * block;
  var acc = 0.0;
  for (var k = 0u; k < ELEMENTS_PER_THREAD; k++) {
    let i = first + k * WORKGROUP_SIZE + lid;
    if (i < size) {
      let g = load(which, i);
      acc += g * g;
    }
  }
  let total = workgroup_sum(lid, acc);
  if (lid == 0u) {
    partials[params.partial_base + group] = total;
  }
}
