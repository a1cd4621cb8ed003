// acc += x, elementwise over n values: a residual added in place, or a gradient accumulated into another.

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> acc: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> x: array<f32>; // [n]

// One thread per value, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.n;
}

fn element(i: u32) {
  acc[i] = acc[i] + x[i];
}
