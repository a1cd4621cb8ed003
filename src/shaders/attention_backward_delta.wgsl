// First step of the attention backward: for each (query head h, query i) row,
// stats[h, i] = (lse[h, i], delta[h, i]) with delta = rowsum(dOut∘out), the softmax-backward correction.
// out, dOut [T, Hq, D]; lse [Hq, T]; stats [Hq, T] of vec2. Packing lse beside delta lets the two gradient
// kernels read both with one binding, keeping them within 8 storage buffers (WebGPU's default limit).

override HEAD_DIM: u32 = 64u;

struct Params {
  T: u32,
  Hq: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> out: array<f32>; // [T, Hq, D]
@group(0) @binding(2) var<storage, read> dOut: array<f32>; // [T, Hq, D]
@group(0) @binding(3) var<storage, read> lse: array<f32>; // [Hq, T]
@group(0) @binding(4) var<storage, read_write> stats: array<vec2<f32>>; // [Hq, T]: (lse, delta)

// One thread per (head, query) row, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.T * params.Hq;
}

fn element(n: u32) {
  let h = n / params.T;
  let i = n % params.T;
  let base = (i * params.Hq + h) * HEAD_DIM;
  var sum = 0.0;
  for (var d = 0u; d < HEAD_DIM; d++) {
    sum = fma(dOut[base + d], out[base + d], sum);
  }
  stats[n] = vec2<f32>(lse[n], sum);
}
