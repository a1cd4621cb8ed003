// The backward of y = x ⊙ l (l broadcast over the T rows of x [T, N]), given dy [T, N]:
//   dx[t, j] = dy[t, j] · l[j]            (written, or added to dx when ACCUMULATE)
//   dl[j]   += Σ_t dy[t, j] · x[t, j]     (always added: gradients accumulate over micro-batches),
//              times c[j] when HAS_GRAD_SCALE (DoRA: y = (m/n) ⊙ p, so dm = Σ dy ⊙ p / n with c = 1/n)
// One thread per column j walks its T rows, so dl needs no cross-thread reduction; neighbouring threads read
// neighbouring columns of each row.

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;
override HAS_GRAD_SCALE: bool = false;

struct Params {
  t: u32,
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> l: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> dl: array<f32>;
@group(0) @binding(6) var<storage, read> c: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= params.n) {
    return;
  }
  let scale = l[j];
  var sum = 0.0;
  for (var t = 0u; t < params.t; t++) {
    let i = t * params.n + j;
    let g = dy[i];
    sum += g * x[i];
    if (ACCUMULATE) {
      dx[i] += g * scale;
    } else {
      dx[i] = g * scale;
    }
  }
  if (HAS_GRAD_SCALE) {
    sum *= c[j];
  }
  dl[j] += sum;
}
