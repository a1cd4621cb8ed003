// y[t, j] = x[t, j] · l[j] (+ bias[j] when HAS_BIAS) (+ residual[t, j] when HAS_RESIDUAL): every row of x scaled
// by one vector of N values, IA³'s learned rescaling of a projection's output or input, and DoRA's magnitude over
// its direction (the bias added after the scale). x, residual, y [T, N]; l, bias [N].

override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;

struct Params {
  count: u32, // T·N
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> l: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

// One thread per element, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.count;
}

fn element(i: u32) {
  let j = i % params.n;
  var v = x[i] * l[j];
  if (HAS_BIAS) {
    v += bias[j];
  }
  if (HAS_RESIDUAL) {
    v += residual[i];
  }
  y[i] = v;
}
