// Causal grouped-query self-attention, backward for dQ (training: qOffset = 0, Tk = T).
// q, dOut, dQ [T, Hq, D]; k, v [T, Hkv, D]; seqStart [T] u32; stats [Hq, T] of (lse, delta) pairs from
// attention_backward_delta.wgsl (delta_i = rowsum(dOut∘out)).
// Probabilities are recomputed from the forward's lse, p = exp(s − lse), and
//   dS = p∘(dP − delta), dP = dOut·Vᵀ, dQ = scale · dS·K.
// Rows and tiles are laid out as in attention_forward.wgsl: a workgroup owns BLOCK_ROWS rows (query, head of
// one kv group) and walks their visible keys; thread (r, c) owns vec4 column c of row r's dQ, so every dQ
// element is written once by one thread and no atomics are needed.

override HEAD_DIM: u32 = 64u;
override BLOCK_ROWS: u32 = 16u;
override BLOCK_KEYS: u32 = 16u;
override HEAD_VECS: u32 = (HEAD_DIM + 3u) / 4u;
override WORKGROUP_SIZE: u32 = BLOCK_ROWS * HEAD_VECS;

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

var<workgroup> qTile: array<vec4<f32>, BLOCK_ROWS * HEAD_VECS>;
var<workgroup> dOutTile: array<vec4<f32>, BLOCK_ROWS * HEAD_VECS>;
var<workgroup> kTile: array<vec4<f32>, BLOCK_KEYS * HEAD_VECS>;
var<workgroup> vTile: array<vec4<f32>, BLOCK_KEYS * HEAD_VECS>;
var<workgroup> dS: array<f32, BLOCK_ROWS * BLOCK_KEYS>;
var<workgroup> rowFirst: array<u32, BLOCK_ROWS>;
var<workgroup> rowLast: array<u32, BLOCK_ROWS>;
var<workgroup> rowLse: array<f32, BLOCK_ROWS>;
var<workgroup> rowDelta: array<f32, BLOCK_ROWS>;
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

fn dot4(a: vec4<f32>) -> f32 {
  return a.x + a.y + a.z + a.w;
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
  let i = min(row / group, params.T - 1u);
  let h = hk * group + row % group;
  let qBase = (i * params.Hq + h) * HEAD_DIM;

  var qv = vec4<f32>(0.0);
  var dv = vec4<f32>(0.0);
  if (live) {
    qv = readQ(qBase, c);
    dv = readDOut(qBase, c);
  }
  qTile[tid] = qv;
  dOutTile[tid] = dv;
  if (c == 0u) {
    rowFirst[r] = select(0xffffffffu, seqStart[i], live);
    rowLast[r] = select(0u, i, live);
    let st = stats[h * params.T + i];
    rowLse[r] = st.x;
    rowDelta[r] = st.y;
  }
  if (tid == 0u) {
    let firstQuery = rowBase / group;
    let lastQuery = (min(rowBase + BLOCK_ROWS, rows) - 1u) / group;
    var lo = 0xffffffffu;
    for (var x = firstQuery; x <= lastQuery; x++) { lo = min(lo, seqStart[x]); }
    keyRange = vec2<u32>(lo, lastQuery + 1u);
  }
  let range = workgroupUniformLoad(&keyRange);

  var acc = vec4<f32>(0.0);
  for (var k0 = range.x; k0 < range.y; k0 += BLOCK_KEYS) {
    let keys = min(BLOCK_KEYS, range.y - k0);
    for (var e = tid; e < BLOCK_KEYS * HEAD_VECS; e += WORKGROUP_SIZE) {
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

    for (var p = tid; p < BLOCK_ROWS * BLOCK_KEYS; p += WORKGROUP_SIZE) {
      let pr = p / BLOCK_KEYS;
      let pj = p % BLOCK_KEYS;
      let key = k0 + pj;
      var ds = 0.0;
      if (pj < keys && key >= rowFirst[pr] && key <= rowLast[pr]) {
        var s4 = vec4<f32>(0.0);
        var dp4 = vec4<f32>(0.0);
        for (var x = 0u; x < HEAD_VECS; x++) {
          s4 = fma(qTile[pr * HEAD_VECS + x], kTile[pj * HEAD_VECS + x], s4);
          dp4 = fma(dOutTile[pr * HEAD_VECS + x], vTile[pj * HEAD_VECS + x], dp4);
        }
        let prob = exp(params.scale * dot4(s4) - rowLse[pr]);
        ds = prob * (dot4(dp4) - rowDelta[pr]);
      }
      dS[p] = ds;
    }
    workgroupBarrier();

    for (var j = 0u; j < BLOCK_KEYS; j++) {
      acc = fma(vec4<f32>(dS[r * BLOCK_KEYS + j]), kTile[j * HEAD_VECS + c], acc);
    }
    workgroupBarrier();
  }

  if (live) {
    let g = acc * params.scale;
    for (var t = 0u; t < 4u; t++) {
      if (4u * c + t < HEAD_DIM) { dQ[qBase + 4u * c + t] = g[t]; }
    }
  }
}
