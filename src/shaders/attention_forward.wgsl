// Causal grouped-query self-attention, forward, streamed over key tiles with an online softmax (running max
// and sum, the accumulator rescaled as the max grows), so the T×Tk score matrix never exists.
// q, out [T, Hq, D]; k, v [Tk, Hkv, D]; seqStart [T] u32; lse [Hq, T] (log-sum-exp of each row's scores).
// Query i sits at key position qOffset + i and sees keys seqStart[i] ..= qOffset + i.
//
// One thread per row: row ρ = i·G + g is query i under query head hk·G + g (G = Hq / Hkv), and a workgroup
// takes BLOCK_ROWS consecutive rows of one kv head's group, so every key/value tile staged in workgroup memory
// serves all the heads that read it. A thread keeps its query and output rows in registers and walks the staged
// keys on its own: no score tile, no per-key barrier, one rescale of the output per tile (FlashAttention-2's
// order), and two barriers per tile. Rows are zero-padded to HEAD_VECS vec4s so any D ≤ 4·MAX_HEAD_VECS works.

override HEAD_DIM: u32 = 64u;
override BLOCK_ROWS: u32 = 64u;
override BLOCK_KEYS: u32 = 32u;
override HEAD_VECS: u32 = (HEAD_DIM + 3u) / 4u;
const MAX_HEAD_VECS: u32 = 64u;
const MAX_BLOCK_KEYS: u32 = 64u;

// Stands for −∞ (WGSL has no infinity literal); any score below MASK_LIMIT is a masked one.
const MASKED: f32 = -3.0e38;
const MASK_LIMIT: f32 = -1.0e38;

struct Params {
  T: u32,
  Hq: u32,
  Hkv: u32,
  qOffset: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> seqStart: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;

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
  // Padding rows get an empty window so they see no key.
  let first = select(0xffffffffu, seqStart[i], live);
  let last = select(0u, params.qOffset + i, live);

  var qr: array<vec4<f32>, MAX_HEAD_VECS>;
  var acc: array<vec4<f32>, MAX_HEAD_VECS>;
  for (var x = 0u; x < HEAD_VECS; x++) {
    // The scale is folded into q once instead of into every score.
    qr[x] = select(vec4<f32>(0.0), readQ(qBase, x) * params.scale, live);
    acc[x] = vec4<f32>(0.0);
  }
  if (r == 0u) {
    // The tile's rows are consecutive queries, so together they see keys [min seqStart, qOffset + last query].
    let firstQuery = rowBase / group;
    let lastQuery = (min(rowBase + BLOCK_ROWS, rows) - 1u) / group;
    var lo = 0xffffffffu;
    for (var x = firstQuery; x <= lastQuery; x++) { lo = min(lo, seqStart[x]); }
    keyRange = vec2<u32>(lo, params.qOffset + lastQuery + 1u);
  }
  let range = workgroupUniformLoad(&keyRange);

  var m = MASKED;
  var l = 0.0;
  var s: array<f32, MAX_BLOCK_KEYS>;
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

    // Scores of this tile's keys, and their max.
    var mNew = m;
    for (var j = 0u; j < BLOCK_KEYS; j++) {
      let key = k0 + j;
      var d4 = vec4<f32>(0.0);
      for (var x = 0u; x < HEAD_VECS; x++) { d4 = fma(qr[x], kTile[j * HEAD_VECS + x], d4); }
      let visible = j < keys && key >= first && key <= last;
      s[j] = select(MASKED, d4.x + d4.y + d4.z + d4.w, visible);
      mNew = max(mNew, s[j]);
    }
    // While the row has seen no key, m = mNew = MASKED and alpha = 1 multiplies zeros.
    let alpha = exp(m - mNew);
    l *= alpha;
    for (var x = 0u; x < HEAD_VECS; x++) { acc[x] *= alpha; }
    for (var j = 0u; j < BLOCK_KEYS; j++) {
      let p = select(0.0, exp(s[j] - mNew), s[j] > MASK_LIMIT);
      l += p;
      for (var x = 0u; x < HEAD_VECS; x++) { acc[x] = fma(vec4<f32>(p), vTile[j * HEAD_VECS + x], acc[x]); }
    }
    m = mNew;
    workgroupBarrier();
  }

  if (live) {
    // A row that sees no key (only possible with an inconsistent seqStart) gets out = 0 and lse = MASKED.
    lse[h * params.T + i] = select(MASKED, m + log(l), l > 0.0);
    let inv = select(0.0, 1.0 / l, l > 0.0);
    for (var x = 0u; x < HEAD_VECS; x++) {
      let o = acc[x] * inv;
      for (var t = 0u; t < 4u; t++) {
        if (4u * x + t < HEAD_DIM) { out[qBase + 4u * x + t] = o[t]; }
      }
    }
  }
}
