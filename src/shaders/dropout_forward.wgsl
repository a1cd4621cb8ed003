// Dropout with a stateless mask: out[i] (+)= keep(i) ? x[i]·scale : 0, keep(i) = hash(i, seed) ≥ threshold, with
// threshold = ⌊p·2³²⌋ and scale = 1/(1−p). The mask is a pure function of (seed, i), so the backward pass (the same
// elementwise product with dOut) and a recomputing forward reproduce it without storing it.
// x, out: [n] f32. Hash: PCG's RXS-M-XS output permutation, applied to i mixed with the hashed seed.

// Add into out instead of overwriting it (the backward adds the adapter's share into dx).
override ACCUMULATE: bool = false;

struct Params {
  n: u32,
  seed: u32,
  threshold: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>; // [n]
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [n]

fn pcg_hash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// One thread per value, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.n;
}

fn element(i: u32) {
  let keep = pcg_hash(i ^ pcg_hash(params.seed)) >= params.threshold;
  let value = select(0.0, x[i] * params.scale, keep);
  if (ACCUMULATE) {
    out[i] = out[i] + value;
  } else {
    out[i] = value;
  }
}
