// Causal grouped-query self-attention, backward for dQ (training: qOffset = 0, Tk = T).
// q, dOut, dQ [T, Hq, D]; k, v [T, Hkv, D]; seqStart [T] u32; stats [Hq, T] of (lse, delta) pairs from
// attention_backward_delta.wgsl (delta_i = rowsum(dOut∘out)).
// Probabilities are recomputed from the forward's lse, p = exp(s − lse), and
//   dS = p∘(dP − delta), dP = dOut·Vᵀ, dQ = scale · dS·K.
// Rows and tiles are laid out as in attention_forward.wgsl: one thread per row (query, head of one kv group),
// BLOCK_ROWS rows per workgroup, keys staged BLOCK_KEYS at a time; a thread keeps its q, dOut and dQ rows in
// registers, so every dQ element is written once by one thread and no atomics are needed.

override HEAD_DIM: u32 = 64u;
override BLOCK_ROWS: u32 = 64u;
override BLOCK_KEYS: u32 = 32u;
override HEAD_VECS: u32 = (HEAD_DIM + 3u) / 4u;
const MAX_HEAD_VECS: u32 = 64u;

struct Params {
  T: u32,
  Hq: u32,
  Hkv: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> dOut: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> seqStart: array<u32>;
@group(0) @binding(7) var<storage, read_write> dQ: array<f32>;

var<workgroup> kTile: array<vec4<f32>, BLOCK_KEYS * HEAD_VECS>;
var<workgroup> vTile: array<vec4<f32>, BLOCK_KEYS * HEAD_VECS>;
var<workgroup> keyRange: vec2<u32>;

fn readQ(base: u32, c: u32) -> vec4<f32> {
  var x = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) {
    if (4u * c + t < HEAD_DIM) { x[t] = q[base + 4u * c + t]; }
  }
  return x;
}

fn readK(base: u32, c: u32) -> vec4<f32> {
  var x = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) {
    if (4u * c + t < HEAD_DIM) { x[t] = k[base + 4u * c + t]; }
  }
  return x;
}

fn readV(base: u32, c: u32) -> vec4<f32> {
  var x = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) {
    if (4u * c + t < HEAD_DIM) { x[t] = v[base + 4u * c + t]; }
  }
  return x;
}

fn readDOut(base: u32, c: u32) -> vec4<f32> {
  var x = vec4<f32>(0.0);
  for (var t = 0u; t < 4u; t++) {
    if (4u * c + t < HEAD_DIM) { x[t] = dOut[base + 4u * c + t]; }
  }
  return x;
}

@compute @workgroup_size(BLOCK_ROWS)
fn main(@builtin(local_invocation_index) r: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let group = params.Hq / params.Hkv;
  let hk = wid.y;
  let rows = params.T * group;
  let rowBase = wid.x * BLOCK_ROWS;
  let row = rowBase + r;
  let live = row < rows;
  let i = min(row / group, params.T - 1u);
  let h = hk * group + row % group;
  let qBase = (i * params.Hq + h) * HEAD_DIM;
  let first = select(0xffffffffu, seqStart[i], live);
  let last = select(0u, i, live);
  let st = stats[h * params.T + i];

  var qr: array<vec4<f32>, MAX_HEAD_VECS>;
  var dor: array<vec4<f32>, MAX_HEAD_VECS>;
  var acc: array<vec4<f32>, MAX_HEAD_VECS>;
  for (var x = 0u; x < HEAD_VECS; x++) {
    // The scale is folded into q once instead of into every score.
    qr[x] = select(vec4<f32>(0.0), readQ(qBase, x) * params.scale, live);
    dor[x] = select(vec4<f32>(0.0), readDOut(qBase, x), live);
    acc[x] = vec4<f32>(0.0);
  }
  if (r == 0u) {
    let firstQuery = rowBase / group;
    let lastQuery = (min(rowBase + BLOCK_ROWS, rows) - 1u) / group;
    var lo = 0xffffffffu;
    for (var x = firstQuery; x <= lastQuery; x++) { lo = min(lo, seqStart[x]); }
    keyRange = vec2<u32>(lo, lastQuery + 1u);
  }
  let range = workgroupUniformLoad(&keyRange);

  for (var k0 = range.x; k0 < range.y; k0 += BLOCK_KEYS) {
    let keys = min(BLOCK_KEYS, range.y - k0);
    for (var e = r; e < BLOCK_KEYS * HEAD_VECS; e += BLOCK_ROWS) {
      let j = e / HEAD_VECS;
      var kx = vec4<f32>(0.0);
      var vx = vec4<f32>(0.0);
      if (j < keys) {
        let base = ((k0 + j) * params.Hkv + hk) * HEAD_DIM;
        kx = readK(base, e % HEAD_VECS);
        vx = readV(base, e % HEAD_VECS);
      }
      kTile[e] = kx;
      vTile[e] = vx;
    }
    workgroupBarrier();

    for (var j = 0u; j < keys; j++) {
      let key = k0 + j;
      if (key >= first && key <= last) {
        var s4 = vec4<f32>(0.0);
        var dp4 = vec4<f32>(0.0);
        for (var x = 0u; x < HEAD_VECS; x++) {
          s4 = fma(qr[x], kTile[j * HEAD_VECS + x], s4);
          dp4 = fma(dor[x], vTile[j * HEAD_VECS + x], dp4);
        }
        let p = exp(s4.x + s4.y + s4.z + s4.w - st.x);
        let ds = p * (dp4.x + dp4.y + dp4.z + dp4.w - st.y);
        for (var x = 0u; x < HEAD_VECS; x++) { acc[x] = fma(vec4<f32>(ds), kTile[j * HEAD_VECS + x], acc[x]); }
      }
    }
    workgroupBarrier();
  }

  if (live) {
    for (var x = 0u; x < HEAD_VECS; x++) {
      let g = acc[x] * params.scale;
      for (var t = 0u; t < 4u; t++) {
        if (4u * x + t < HEAD_DIM) { dQ[qBase + 4u * x + t] = g[t]; }
      }
    }
  }
}
