// Rotary position embedding on q or k: each pair (a, b) of a head is rotated by θ = position[t]·invFreq[i]:
//   out_a = a·cos θ − b·sin θ,  out_b = a·sin θ + b·cos θ.
// x, out [T, H, D]; positions [T] u32; invFreq [D/2]. One thread per pair.
// INTERLEAVED picks the pairing: false = Hugging Face rotate-half (i, i + D/2), true = GGUF (2i, 2i + 1).
// INVERSE rotates by −θ: the backward pass of a rotation is its transpose, so rope's backward is this kernel.
// Entry points: `main` reads x and writes out; `main_inplace` rotates x in place. A buffer may not be bound twice
// in one dispatch, so in place x is bound once, read_write, at x's binding; each thread reads both elements of its
// pair before writing them.

override WORKGROUP_SIZE: u32 = 256u;
override INTERLEAVED: bool = false;
override INVERSE: bool = false;

struct Params {
  tokens: u32,
  heads: u32,
  half_dim: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> positions: array<u32>; // [T]
@group(0) @binding(2) var<storage, read> inv_freq: array<f32>; // [D/2]
@group(0) @binding(3) var<storage, read> x: array<f32>; // [T, H, D]
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // [T, H, D]
@group(0) @binding(3) var<storage, read_write> x_inplace: array<f32>; // `main_inplace` only

// WGSL promises sin/cos only to 2^-11 on [−π, π] (SwiftShader is that coarse), and θ reaches thousands of
// radians, so both are computed here to ~1e-7. θ is first reduced by 2π = C1 + C2 + C3 (Cody–Waite: C1, C2
// have ≤ 9 significant bits, so k·C1 and k·C2 are exact for |k| < 2^15, i.e. |θ| below ~2·10^5 rad), then
// by a quarter turn to |s| ≤ π/4, where Taylor series to s^9 / s^10 are exact to f32 rounding.
fn sin_cos(theta: f32) -> vec2<f32> {
  let turns = round(theta * 0.15915494);
  let r = ((theta - turns * 6.28125) - turns * 0.001934051513671875) - turns * 1.2556659e-6;
  let quarter = round(r * 0.63661975);
  let s = (r - quarter * 1.5707964) + quarter * 4.3711388e-8;
  let s2 = s * s;
  let sin_s = s * (1.0 + s2 * (-1.0 / 6.0 + s2 * (1.0 / 120.0 + s2 * (-1.0 / 5040.0 + s2 * (1.0 / 362880.0)))));
  let cos_s = 1.0 + s2 * (-0.5 + s2 * (1.0 / 24.0 + s2 * (-1.0 / 720.0 + s2 * (1.0 / 40320.0 - s2 / 3628800.0))));
  // θ = s + quarter·π/2: rotate (cos s, sin s) by that many quarter turns.
  switch (i32(quarter) & 3) {
    case 1: { return vec2<f32>(cos_s, -sin_s); }
    case 2: { return vec2<f32>(-sin_s, -cos_s); }
    case 3: { return vec2<f32>(-cos_s, sin_s); }
    default: { return vec2<f32>(sin_s, cos_s); }
  }
}

// Pair n of the whole tensor (row = (t, head), i within the head): its two indices and the rotation's
// cos θ, sin θ (sin negated for INVERSE). `live` is false past the last pair (the grid is rounded up).
struct Pair {
  live: bool,
  ia: u32,
  ib: u32,
  c: f32,
  s: f32,
}

fn pair_at(gid: vec3<u32>, groups: vec3<u32>) -> Pair {
  let n = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  let row = n / params.half_dim;
  let i = n - row * params.half_dim;
  let t = min(row / params.heads, params.tokens - 1u);
  var ia = row * 2u * params.half_dim + i;
  var ib = ia + params.half_dim;
  if (INTERLEAVED) {
    ia = row * 2u * params.half_dim + 2u * i;
    ib = ia + 1u;
  }
  let sc = sin_cos(f32(positions[t]) * inv_freq[i]);
  return Pair(n < params.tokens * params.heads * params.half_dim, ia, ib, sc.y, select(sc.x, -sc.x, INVERSE));
}

fn rotate(p: Pair, a: f32, b: f32) -> vec2<f32> {
  return vec2<f32>(a * p.c - b * p.s, a * p.s + b * p.c);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let p = pair_at(gid, groups);
  if (p.live) {
    let r = rotate(p, x[p.ia], x[p.ib]);
    out[p.ia] = r.x;
    out[p.ib] = r.y;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let p = pair_at(gid, groups);
  if (p.live) {
    let r = rotate(p, x_inplace[p.ia], x_inplace[p.ib]);
    x_inplace[p.ia] = r.x;
    x_inplace[p.ib] = r.y;
  }
}
