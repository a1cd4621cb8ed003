// Causal grouped-query self-attention, forward, streamed over key tiles with an online softmax (running max
// and sum, the accumulator rescaled as the max grows), so the T×Tk score matrix never exists.
// q, out [T, Hq, D]; k, v [Tk, Hkv, D]; seqStart [T] u32; lse [Hq, T] (log-sum-exp of each row's scores).
// Query i sits at key position qOffset + i and sees keys seqStart[i] ..= qOffset + i.
//
// One workgroup takes BLOCK_ROWS consecutive rows of one kv head's group: row ρ = i·G + g is query i under
// query head hk·G + g (G = Hq / Hkv), so every key/value tile brought into shared memory serves all the heads
// that read it. Thread (r, c) owns vec4 column c of row r's accumulator; rows are zero-padded to HEAD_VECS vec4s
// so any D works.

override HEAD_DIM: u32 = 64u;
override BLOCK_ROWS: u32 = 16u;
override BLOCK_KEYS: u32 = 16u;
override HEAD_VECS: u32 = (HEAD_DIM + 3u) / 4u;
override WORKGROUP_SIZE: u32 = BLOCK_ROWS * HEAD_VECS;

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

var<workgroup> qTile: array<vec4<f32>, BLOCK_ROWS * HEAD_VECS>;
// Holds the key tile while scores are formed, then the value tile of the same keys.
var<workgroup> kvTile: array<vec4<f32>, BLOCK_KEYS * HEAD_VECS>;
var<workgroup> scores: array<f32, BLOCK_ROWS * BLOCK_KEYS>;
var<workgroup> rowFirst: array<u32, BLOCK_ROWS>;
var<workgroup> rowLast: array<u32, BLOCK_ROWS>;
// During the loop exp(m_old − m_new) for each row; after it 1 / l.
var<workgroup> rowScale: array<f32, BLOCK_ROWS>;
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

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let group = params.Hq / params.Hkv;
  let hk = wid.y;
  let rows = params.T * group;
  let rowBase = wid.x * BLOCK_ROWS;
  let r = tid / HEAD_VECS;
  let c = tid % HEAD_VECS;
  let row = rowBase + r;
  let live = row < rows;
  let i = row / group;
  let h = hk * group + row % group;
  let qBase = (i * params.Hq + h) * HEAD_DIM;

  var qv = vec4<f32>(0.0);
  if (live) { qv = readQ(qBase, c); }
  qTile[tid] = qv;
  if (c == 0u) {
    // Padding rows get an empty window so they see no key.
    rowFirst[r] = select(0xffffffffu, seqStart[min(i, params.T - 1u)], live);
    rowLast[r] = select(0u, params.qOffset + i, live);
  }
  if (tid == 0u) {
    // The tile's rows are consecutive queries, so together they see keys [min seqStart, qOffset + last query].
    let firstQuery = rowBase / group;
    let lastQuery = (min(rowBase + BLOCK_ROWS, rows) - 1u) / group;
    var lo = 0xffffffffu;
    for (var x = firstQuery; x <= lastQuery; x++) { lo = min(lo, seqStart[x]); }
    keyRange = vec2<u32>(lo, params.qOffset + lastQuery + 1u);
  }
  let range = workgroupUniformLoad(&keyRange);

  var acc = vec4<f32>(0.0);
  // Running max and sum of row r, kept by its c == 0 thread only.
  var m = MASKED;
  var l = 0.0;
  for (var k0 = range.x; k0 < range.y; k0 += BLOCK_KEYS) {
    let keys = min(BLOCK_KEYS, range.y - k0);
    for (var e = tid; e < BLOCK_KEYS * HEAD_VECS; e += WORKGROUP_SIZE) {
      let j = e / HEAD_VECS;
      var kx = vec4<f32>(0.0);
      if (j < keys) { kx = readK(((k0 + j) * params.Hkv + hk) * HEAD_DIM, e % HEAD_VECS); }
      kvTile[e] = kx;
    }
    workgroupBarrier();

    for (var p = tid; p < BLOCK_ROWS * BLOCK_KEYS; p += WORKGROUP_SIZE) {
      let pr = p / BLOCK_KEYS;
      let pj = p % BLOCK_KEYS;
      let key = k0 + pj;
      var s = MASKED;
      if (pj < keys && key >= rowFirst[pr] && key <= rowLast[pr]) {
        var d4 = vec4<f32>(0.0);
        for (var x = 0u; x < HEAD_VECS; x++) { d4 = fma(qTile[pr * HEAD_VECS + x], kvTile[pj * HEAD_VECS + x], d4); }
        s = params.scale * (d4.x + d4.y + d4.z + d4.w);
      }
      scores[p] = s;
    }
    workgroupBarrier();

    if (c == 0u) {
      var mNew = m;
      for (var j = 0u; j < BLOCK_KEYS; j++) { mNew = max(mNew, scores[r * BLOCK_KEYS + j]); }
      var sum = 0.0;
      for (var j = 0u; j < BLOCK_KEYS; j++) {
        let s = scores[r * BLOCK_KEYS + j];
        let pj = select(0.0, exp(s - mNew), s > MASK_LIMIT);
        scores[r * BLOCK_KEYS + j] = pj;
        sum += pj;
      }
      // While the row has seen no key, m = mNew = MASKED and alpha = 1 multiplies zeros.
      let alpha = exp(m - mNew);
      l = l * alpha + sum;
      m = mNew;
      rowScale[r] = alpha;
    }
    // The scores are formed, so the key tile may be overwritten by the values.
    for (var e = tid; e < BLOCK_KEYS * HEAD_VECS; e += WORKGROUP_SIZE) {
      let j = e / HEAD_VECS;
      var vx = vec4<f32>(0.0);
      if (j < keys) { vx = readV(((k0 + j) * params.Hkv + hk) * HEAD_DIM, e % HEAD_VECS); }
      kvTile[e] = vx;
    }
    workgroupBarrier();

    var pv = vec4<f32>(0.0);
    for (var j = 0u; j < BLOCK_KEYS; j++) {
      pv = fma(vec4<f32>(scores[r * BLOCK_KEYS + j]), kvTile[j * HEAD_VECS + c], pv);
    }
    acc = acc * rowScale[r] + pv;
    workgroupBarrier();
  }

  if (c == 0u) {
    // A row that sees no key (only possible with an inconsistent seqStart) gets out = 0 and lse = MASKED.
    rowScale[r] = select(0.0, 1.0 / l, l > 0.0);
    if (live) { lse[h * params.T + i] = select(MASKED, m + log(l), l > 0.0); }
  }
  workgroupBarrier();
  if (live) {
    let o = acc * rowScale[r];
    for (var t = 0u; t < 4u; t++) {
      if (4u * c + t < HEAD_DIM) { out[qBase + 4u * c + t] = o[t]; }
    }
  }
}
