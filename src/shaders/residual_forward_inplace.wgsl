// acc += x, elementwise over n values: a residual added in place, or a gradient accumulated into another.
// ELEMENT is vec4<f32> when n % 4 = 0, else f32, as in residual_forward.wgsl.

struct Params {
  n: u32, // values, or vec4s
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> acc: array<ELEMENT>; // [n]
@group(0) @binding(2) var<storage, read> x: array<ELEMENT>; // [n]

// One thread per value, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.n;
}

fn element(i: u32) {
  acc[i] = acc[i] + x[i];
}
