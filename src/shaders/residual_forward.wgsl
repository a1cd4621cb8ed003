// out = a + b, elementwise over n values (the transformer's residual connection).
// The backward pass of a residual is the identity on both inputs, so it needs no kernel of its own;
// accumulating a gradient into an existing one uses residual_forward_inplace.

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> b: array<f32>; // [n]
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // [n]

// One thread per value, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.n;
}

fn element(i: u32) {
  out[i] = a[i] + b[i];
}
