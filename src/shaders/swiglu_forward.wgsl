// SwiGLU, the Llama MLP's gate: out = silu(gate) · up, silu(g) = g · sigmoid(g). gate, up, out [T, F].

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> gate: array<f32>; // [T, F]
@group(0) @binding(2) var<storage, read> up: array<f32>; // [T, F]
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // [T, F]

// One thread per value, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.n;
}

fn element(i: u32) {
  let g = gate[i];
  out[i] = g * sigmoid(g) * up[i];
}
