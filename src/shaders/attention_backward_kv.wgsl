// Causal grouped-query self-attention, backward for dK and dV (training: qOffset = 0, Tk = T).
// q, dOut [T, Hq, D]; k, v, dK, dV [T, Hkv, D]; seqStart [T] u32; stats [Hq, T] of (lse, delta) pairs.
//   p = exp(scale·q·k − lse), dV_j = Σ_i p_ij dOut_i, dS = p∘(dOut·v − delta), dK_j = scale·Σ_i dS_ij q_i,
// the sums running over every query row of every query head in the kv head's group.
// One thread per key: a workgroup owns BLOCK_KEYS keys of one kv head, keeps each key's k, v, dK and dV rows in
// its thread's registers, and walks the query rows (row ρ = i·G + g, as in the forward) that can see them,
// staging BLOCK_ROWS rows at a time. Each gradient element has a single writer and the sums run in a fixed
// order (deterministic, no atomics). q, k, v and their rows: attention_head_rows.wgsl, spliced in by the launcher.

override BLOCK_ROWS: u32 = 32u;
override BLOCK_KEYS: u32 = 64u;

struct Params {
  T: u32,
  Hq: u32,
  Hkv: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
// @binding(1) to @binding(3): q, k, v, declared by attention_head_rows.wgsl
@group(0) @binding(4) var<storage, read> dOut: array<f32>; // [T, Hq, D]
@group(0) @binding(5) var<storage, read> stats: array<vec2<f32>>; // [Hq, T]: (lse, delta)
@group(0) @binding(6) var<storage, read> seqStart: array<u32>; // [T]
@group(0) @binding(7) var<storage, read_write> dK: array<f32>; // [T, Hkv, D]
@group(0) @binding(8) var<storage, read_write> dV: array<f32>; // [T, Hkv, D]

var<workgroup> qTile: array<vec4<f32>, BLOCK_ROWS * HEAD_VECS>;
var<workgroup> dOutTile: array<vec4<f32>, BLOCK_ROWS * HEAD_VECS>;
var<workgroup> rowFirst: array<u32, BLOCK_ROWS>;
var<workgroup> rowLast: array<u32, BLOCK_ROWS>;
var<workgroup> rowStats: array<vec2<f32>, BLOCK_ROWS>;
var<workgroup> tileSkip: u32;

fn readDOut(base: u32, c: u32) -> vec4<f32> {
  let i = head_at(base, c);
  return head_vec(c, vec4(dOut[i.x], dOut[i.y], dOut[i.z], dOut[i.w]));
}

@compute @workgroup_size(BLOCK_KEYS)
fn main(@builtin(local_invocation_index) j: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let group = params.Hq / params.Hkv;
  let hk = wid.y;
  let rows = params.T * group;
  let k0 = wid.x * BLOCK_KEYS;
  let keys = min(BLOCK_KEYS, params.T - k0);
  let keyLast = k0 + keys - 1u;
  let key = k0 + j;
  let live = j < keys;
  let kBase = (min(key, params.T - 1u) * params.Hkv + hk) * HEAD_DIM;

  var kr: array<vec4<f32>, MAX_HEAD_VECS>;
  var vr: array<vec4<f32>, MAX_HEAD_VECS>;
  var dk: array<vec4<f32>, MAX_HEAD_VECS>;
  var dv: array<vec4<f32>, MAX_HEAD_VECS>;
  for (var x = 0u; x < HEAD_VECS; x++) {
    // The scale is folded into k once instead of into every score.
    kr[x] = select(vec4<f32>(0.0), readK(kBase, x) * params.scale, live);
    vr[x] = select(vec4<f32>(0.0), readV(kBase, x), live);
    dk[x] = vec4<f32>(0.0);
    dv[x] = vec4<f32>(0.0);
  }

  // Causality: no query before k0 sees these keys.
  for (var r0 = k0 * group; r0 < rows; r0 += BLOCK_ROWS) {
    if (j == 0u) {
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

    for (var e = j; e < BLOCK_ROWS * HEAD_VECS; e += BLOCK_KEYS) {
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
    for (var x = j; x < BLOCK_ROWS; x += BLOCK_KEYS) {
      let row = r0 + x;
      let i = min(row / group, params.T - 1u);
      let h = hk * group + row % group;
      rowFirst[x] = select(0xffffffffu, seqStart[i], row < rows);
      rowLast[x] = select(0u, i, row < rows);
      rowStats[x] = stats[h * params.T + i];
    }
    workgroupBarrier();

    for (var rr = 0u; rr < BLOCK_ROWS; rr++) {
      if (live && key >= rowFirst[rr] && key <= rowLast[rr]) {
        var s4 = vec4<f32>(0.0);
        var dp4 = vec4<f32>(0.0);
        for (var x = 0u; x < HEAD_VECS; x++) {
          s4 = fma(kr[x], qTile[rr * HEAD_VECS + x], s4);
          dp4 = fma(vr[x], dOutTile[rr * HEAD_VECS + x], dp4);
        }
        let st = rowStats[rr];
        let p = exp(s4.x + s4.y + s4.z + s4.w - st.x);
        let ds = p * (dp4.x + dp4.y + dp4.z + dp4.w - st.y);
        for (var x = 0u; x < HEAD_VECS; x++) {
          dv[x] = fma(vec4<f32>(p), dOutTile[rr * HEAD_VECS + x], dv[x]);
          dk[x] = fma(vec4<f32>(ds), qTile[rr * HEAD_VECS + x], dk[x]);
        }
      }
    }
    workgroupBarrier();
  }

  if (live) {
    for (var x = 0u; x < HEAD_VECS; x++) {
      let gk = dk[x] * params.scale;
      let gv = dv[x];
      for (var t = 0u; t < 4u; t++) {
        if (4u * x + t < HEAD_DIM) {
          dK[kBase + 4u * x + t] = gk[t];
          dV[kBase + 4u * x + t] = gv[t];
        }
      }
    }
  }
}
