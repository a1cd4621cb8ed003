// out = a + b, elementwise over n values (the transformer's residual connection).
// The backward pass of a residual is the identity on both inputs, so it needs no kernel of its own;
// accumulating a gradient into an existing one uses residual_forward_inplace.
//
// ELEMENT is vec4<f32> when n % 4 = 0, so one thread moves 16 bytes per operand (as TF.js's vectorised binary
// ops do), else f32; residual.ts prepends its alias.

struct Params {
  n: u32, // values, or vec4s when the launcher picked the vec4 kernel
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<ELEMENT>; // [n]
@group(0) @binding(2) var<storage, read> b: array<ELEMENT>; // [n]
@group(0) @binding(3) var<storage, read_write> out: array<ELEMENT>; // [n]

// One thread per element, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.n;
}

fn element(i: u32) {
  out[i] = a[i] + b[i];
}
