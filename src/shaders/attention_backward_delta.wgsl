// First step of the attention backward: for each (query head h, query i) row,
// stats[h, i] = (lse[h, i], delta[h, i]) with delta = rowsum(dOut∘out), the softmax-backward correction.
// out, dOut [T, Hq, D]; lse [Hq, T]; stats [Hq, T] of vec2. Packing lse beside delta lets the two gradient
// kernels read both with one binding, keeping them within 8 storage buffers (WebGPU's default limit).

override HEAD_DIM: u32 = 64u;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  T: u32,
  Hq: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> out: array<f32>;
@group(0) @binding(2) var<storage, read> dOut: array<f32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<vec2<f32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let n = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (n >= params.T * params.Hq) {
    return;
  }
  let h = n / params.T;
  let i = n % params.T;
  let base = (i * params.Hq + h) * HEAD_DIM;
  var sum = 0.0;
  for (var d = 0u; d < HEAD_DIM; d++) {
    sum = fma(dOut[base + d], out[base + d], sum);
  }
  stats[n] = vec2<f32>(lse[n], sum);
}
