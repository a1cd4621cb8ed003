// SwiGLU backward. With s = sigmoid(g) and out = g·s·u:
//   dUp = dOut · g·s,   dGate = dOut · u · s·(1 + g·(1 − s)).
// gate, up, dOut, dGate, dUp [T, F].

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> gate: array<f32>; // [T, F]
@group(0) @binding(2) var<storage, read> up: array<f32>; // [T, F]
@group(0) @binding(3) var<storage, read> d_out: array<f32>; // [T, F]
@group(0) @binding(4) var<storage, read_write> d_gate: array<f32>; // [T, F]
@group(0) @binding(5) var<storage, read_write> d_up: array<f32>; // [T, F]

// One thread per value, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.n;
}

fn element(i: u32) {
  let g = gate[i];
  let s = sigmoid(g);
  let d = d_out[i];
  d_up[i] = d * g * s;
  d_gate[i] = d * up[i] * s * (1.0 + g * (1.0 - s));
}
