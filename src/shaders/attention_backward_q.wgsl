// Causal grouped-query self-attention, backward for dQ (training: qOffset = 0, Tk = T).
// q, dOut, dQ [T, Hq, D]; k, v [T, Hkv, D]; seqStart [T] u32; stats [Hq, T] of (lse, delta) pairs from
// attention_backward_delta.wgsl (delta_i = rowsum(dOut∘out)).
// Probabilities are recomputed from the forward's lse, p = exp(s − lse), and
//   dS = p∘(dP − delta), dP = dOut·Vᵀ, dQ = scale · dS·K.
// Rows and tiles are laid out as in attention_forward.wgsl (attention_query_block.wgsl and
// attention_head_rows.wgsl, spliced in by the launcher): one thread per row (query, head of one kv group),
// BLOCK_ROWS rows per workgroup, keys staged BLOCK_KEYS at a time; a thread keeps its q, dOut and dQ rows in
// registers, so every dQ element is written once by one thread and no atomics are needed.

override BLOCK_ROWS: u32 = 64u;
override BLOCK_KEYS: u32 = 32u;

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
@group(0) @binding(7) var<storage, read_write> dQ: array<f32>; // [T, Hq, D]

fn readDOut(base: u32, c: u32) -> vec4<f32> {
  let i = head_at(base, c);
  return head_vec(c, vec4(dOut[i.x], dOut[i.y], dOut[i.z], dOut[i.w]));
}

@compute @workgroup_size(BLOCK_ROWS)
fn main(@builtin(local_invocation_index) r: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  // Training: qOffset = 0.
  let row = query_row(r, wid, 0u);
  let st = stats[row.h * params.T + row.i];
  var qr: array<vec4<f32>, MAX_HEAD_VECS>;
  var dor: array<vec4<f32>, MAX_HEAD_VECS>;
  var acc: array<vec4<f32>, MAX_HEAD_VECS>;
  for (var x = 0u; x < HEAD_VECS; x++) {
    // The scale is folded into q once instead of into every score.
    qr[x] = select(vec4<f32>(0.0), readQ(row.qBase, x) * params.scale, row.live);
    dor[x] = select(vec4<f32>(0.0), readDOut(row.qBase, x), row.live);
    acc[x] = vec4<f32>(0.0);
  }
  let range = key_range(r, wid, 0u);

  for (var k0 = range.x; k0 < range.y; k0 += BLOCK_KEYS) {
    let keys = min(BLOCK_KEYS, range.y - k0);
    stage_keys(r, wid.y, k0, keys);

    for (var j = 0u; j < keys; j++) {
      let key = k0 + j;
      if (key >= row.first && key <= row.last) {
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

  if (row.live) {
    for (var x = 0u; x < HEAD_VECS; x++) {
      let g = acc[x] * params.scale;
      for (var t = 0u; t < 4u; t++) {
        if (4u * x + t < HEAD_DIM) { dQ[row.qBase + 4u * x + t] = g[t]; }
      }
    }
  }
}
