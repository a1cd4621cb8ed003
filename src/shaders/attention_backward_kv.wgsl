// Causal grouped-query self-attention, backward for dK and dV (training: qOffset = 0, Tk = T).
// q, dOut [T, Hq, D]; k, v, dK, dV [T, Hkv, D]; seqStart [T] u32; stats [Hq, T] of (lse, delta) pairs.
//   p = exp(scale·q·k − lse), dV_j = Σ_i p_ij dOut_i, dS = p∘(dOut·v − delta), dK_j = scale·Σ_i dS_ij q_i,
// the sums running over every query row of every query head in the kv head's group.
// One workgroup owns BLOCK_KEYS keys of one kv head and walks the query rows (row ρ = i·G + g, as in the
// forward) that can see them, BLOCK_ROWS at a time; thread (j, c) owns vec4 column c of key j's dK and dV, so
// each gradient element has a single writer and the sums run in a fixed order (deterministic, no atomics).

override HEAD_DIM: u32 = 64u;
override BLOCK_ROWS: u32 = 16u;
override BLOCK_KEYS: u32 = 16u;
override HEAD_VECS: u32 = (HEAD_DIM + 3u) / 4u;
override WORKGROUP_SIZE: u32 = BLOCK_KEYS * HEAD_VECS;

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
@group(0) @binding(7) var<storage, read_write> dK: array<f32>;
@group(0) @binding(8) var<storage, read_write> dV: array<f32>;

var<workgroup> kTile: array<vec4<f32>, BLOCK_KEYS * HEAD_VECS>;
var<workgroup> vTile: array<vec4<f32>, BLOCK_KEYS * HEAD_VECS>;
var<workgroup> qTile: array<vec4<f32>, BLOCK_ROWS * HEAD_VECS>;
var<workgroup> dOutTile: array<vec4<f32>, BLOCK_ROWS * HEAD_VECS>;
var<workgroup> probs: array<f32, BLOCK_ROWS * BLOCK_KEYS>;
var<workgroup> dS: array<f32, BLOCK_ROWS * BLOCK_KEYS>;
var<workgroup> rowFirst: array<u32, BLOCK_ROWS>;
var<workgroup> rowLast: array<u32, BLOCK_ROWS>;
var<workgroup> rowStats: array<vec2<f32>, BLOCK_ROWS>;
var<workgroup> tileSkip: u32;

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
  let k0 = wid.x * BLOCK_KEYS;
  let keys = min(BLOCK_KEYS, params.T - k0);
  let keyLast = k0 + keys - 1u;
  let j = tid / HEAD_VECS;
  let c = tid % HEAD_VECS;
  let kBase = (min(k0 + j, params.T - 1u) * params.Hkv + hk) * HEAD_DIM;

  var kx = vec4<f32>(0.0);
  var vx = vec4<f32>(0.0);
  if (j < keys) {
    kx = readK(kBase, c);
    vx = readV(kBase, c);
  }
  kTile[tid] = kx;
  vTile[tid] = vx;

  var dk = vec4<f32>(0.0);
  var dv = vec4<f32>(0.0);
  // Causality: no query before k0 sees these keys.
  for (var r0 = k0 * group; r0 < rows; r0 += BLOCK_ROWS) {
    if (tid == 0u) {
      // Rows of other sequences see none of these keys; skip the tile when none of its queries does.
      let lastQuery = (min(r0 + BLOCK_ROWS, rows) - 1u) / group;
      var lo = 0xffffffffu;
      for (var x = r0 / group; x <= lastQuery; x++) { lo = min(lo, seqStart[x]); }
      tileSkip = u32(lo > keyLast);
    }
    if (workgroupUniformLoad(&tileSkip) != 0u) {
      // Every thread must have read tileSkip before thread 0 rewrites it for the next tile.
      workgroupBarrier();
      continue;
    }

    for (var e = tid; e < BLOCK_ROWS * HEAD_VECS; e += WORKGROUP_SIZE) {
      let row = r0 + e / HEAD_VECS;
      var qv = vec4<f32>(0.0);
      var ov = vec4<f32>(0.0);
      if (row < rows) {
        let h = hk * group + row % group;
        let base = ((row / group) * params.Hq + h) * HEAD_DIM;
        qv = readQ(base, e % HEAD_VECS);
        ov = readDOut(base, e % HEAD_VECS);
      }
      qTile[e] = qv;
      dOutTile[e] = ov;
    }
    for (var x = tid; x < BLOCK_ROWS; x += WORKGROUP_SIZE) {
      let row = r0 + x;
      let i = min(row / group, params.T - 1u);
      let h = hk * group + row % group;
      rowFirst[x] = select(0xffffffffu, seqStart[i], row < rows);
      rowLast[x] = select(0u, i, row < rows);
      rowStats[x] = stats[h * params.T + i];
    }
    workgroupBarrier();

    for (var p = tid; p < BLOCK_ROWS * BLOCK_KEYS; p += WORKGROUP_SIZE) {
      let pr = p / BLOCK_KEYS;
      let pj = p % BLOCK_KEYS;
      let key = k0 + pj;
      var prob = 0.0;
      var ds = 0.0;
      if (pj < keys && key >= rowFirst[pr] && key <= rowLast[pr]) {
        var s4 = vec4<f32>(0.0);
        var dp4 = vec4<f32>(0.0);
        for (var x = 0u; x < HEAD_VECS; x++) {
          s4 = fma(qTile[pr * HEAD_VECS + x], kTile[pj * HEAD_VECS + x], s4);
          dp4 = fma(dOutTile[pr * HEAD_VECS + x], vTile[pj * HEAD_VECS + x], dp4);
        }
        let st = rowStats[pr];
        prob = exp(params.scale * dot4(s4) - st.x);
        ds = prob * (dot4(dp4) - st.y);
      }
      probs[p] = prob;
      dS[p] = ds;
    }
    workgroupBarrier();

    for (var r = 0u; r < BLOCK_ROWS; r++) {
      dv = fma(vec4<f32>(probs[r * BLOCK_KEYS + j]), dOutTile[r * HEAD_VECS + c], dv);
      dk = fma(vec4<f32>(dS[r * BLOCK_KEYS + j]), qTile[r * HEAD_VECS + c], dk);
    }
    workgroupBarrier();
  }

  if (j < keys) {
    dk *= params.scale;
    for (var t = 0u; t < 4u; t++) {
      if (4u * c + t < HEAD_DIM) {
        dK[kBase + 4u * c + t] = dk[t];
        dV[kBase + 4u * c + t] = dv[t];
      }
    }
  }
}
