// DoRA's magnitude scale (Liu et al. 2024, as PEFT computes it): per row j of a frozen W [N, K] with a LoRA pair
// A [r, K], B [N, r] and scale s, the norm of the adapted row
//   n_j = ‖W_j + s·B_j·A‖₂
// and, written into out at three strides of params.stride floats:
//   out[j] = m_j / n_j     (the scale of the row's output: y = (m/n) ⊙ (x·Wᵀ + s·x·Aᵀ·Bᵀ) + b)
//   out[stride + j] = 1/n_j (the magnitude's gradient factor: dm = Σ dy ⊙ p / n)
//   out[2·stride + j] = n_j (a fresh adapter's magnitude, B = 0: m = ‖W_j‖)
// The norm is a constant of the step (DoRA and PEFT detach it), so it has no backward.
// One thread per row walks its K columns 8 at a time through the weight format's w_load8 (spliced in), adding
// s·Σ_k B_jk·A_k,c to each value: K·(r + 1) multiply-adds per row, with no barrier. A weight stored in parts
// (row ranges) is dispatched once per part; params.row_base is the part's first row in W.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  rows: u32, // rows of this part
  k: u32,
  r: u32,
  row_base: u32,
  stride: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
// Bindings 2 and 3: the weight (w_load8).
@group(0) @binding(4) var<storage, read> b: array<f32>;
@group(0) @binding(5) var<storage, read> m: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= params.rows) {
    return;
  }
  let j = params.row_base + row;
  let k = params.k;
  var sum = 0.0;
  for (var col = 0u; col < k; col += 8u) {
    let w = w_load8(row, col, k);
    for (var e = 0u; e < 8u; e++) {
      let c = col + e;
      if (c >= k) {
        break;
      }
      var delta = 0.0;
      for (var q = 0u; q < params.r; q++) {
        delta += b[j * params.r + q] * a[q * k + c];
      }
      let v = w[e / 4u][e % 4u] + params.scale * delta;
      sum += v * v;
    }
  }
  let n = sqrt(sum);
  out[j] = m[j] / n;
  out[params.stride + j] = 1.0 / n;
  out[2u * params.stride + j] = n;
}
