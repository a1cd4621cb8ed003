// SwiGLU backward. With s = sigmoid(g) and out = g·s·u:
//   dUp = dOut · g·s,   dGate = dOut · u · s·(1 + g·(1 − s)).
// gate, up, dOut, dGate, dUp [T, F].

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read> d_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> d_gate: array<f32>;
@group(0) @binding(5) var<storage, read_write> d_up: array<f32>;

// As in swiglu_forward.wgsl: exp of −|g| only, so no overflow.
fn sigmoid(g: f32) -> f32 {
  let e = exp(-abs(g));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), g >= 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) {
    return;
  }
  let g = gate[i];
  let s = sigmoid(g);
  let d = d_out[i];
  d_up[i] = d * g * s;
  d_gate[i] = d * up[i] * s * (1.0 + g * (1.0 - s));
}
