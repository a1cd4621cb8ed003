// A workgroup's block of query rows and the key tiles they see, shared by attention_forward and
// attention_backward_q (spliced in by attention.ts after attention_head_rows.wgsl). Row ρ = i·G + g is query i
// under query head hk·G + g (G = Hq / Hkv); workgroup (x, hk) takes rows [x·BLOCK_ROWS, …) of kv head hk, one
// thread per row, so every key/value tile staged in workgroup memory serves all the heads that read it.
// Query i sits at key position qOffset + i and sees keys seqStart[i] ..= qOffset + i.
//
// Contract with the kernel: it declares BLOCK_ROWS, BLOCK_KEYS, params.T, params.Hq, params.Hkv and the
// seqStart [T] u32 binding.

var<workgroup> kTile: array<vec4<f32>, BLOCK_KEYS * HEAD_VECS>;
var<workgroup> vTile: array<vec4<f32>, BLOCK_KEYS * HEAD_VECS>;
var<workgroup> keyRange: vec2<u32>;

// Thread r's row: whether it exists, its query i and head h, where its q row starts, and the keys it sees.
struct QueryRow {
  live: bool,
  i: u32,
  h: u32,
  qBase: u32,
  first: u32,
  last: u32,
}

fn query_row(r: u32, wid: vec3<u32>, qOffset: u32) -> QueryRow {
  let group = params.Hq / params.Hkv;
  let row = wid.x * BLOCK_ROWS + r;
  let live = row < params.T * group;
  let i = min(row / group, params.T - 1u);
  let h = wid.y * group + row % group;
  // Padding rows get an empty window so they see no key.
  let first = select(0xffffffffu, seqStart[i], live);
  let last = select(0u, qOffset + i, live);
  return QueryRow(live, i, h, (i * params.Hq + h) * HEAD_DIM, first, last);
}

// The keys [lo, hi) that some row of the block sees. Called by every thread (it holds a barrier).
fn key_range(r: u32, wid: vec3<u32>, qOffset: u32) -> vec2<u32> {
  if (r == 0u) {
    // The block's rows are consecutive queries, so together they see keys [min seqStart, qOffset + last query].
    let group = params.Hq / params.Hkv;
    let rowBase = wid.x * BLOCK_ROWS;
    let firstQuery = rowBase / group;
    let lastQuery = (min(rowBase + BLOCK_ROWS, params.T * group) - 1u) / group;
    var lo = 0xffffffffu;
    for (var x = firstQuery; x <= lastQuery; x++) { lo = min(lo, seqStart[x]); }
    keyRange = vec2<u32>(lo, qOffset + lastQuery + 1u);
  }
  return workgroupUniformLoad(&keyRange);
}

// Stages keys [k0, k0 + keys) of kv head hk into kTile and vTile (zero past `keys`) and waits for the block.
// The caller must pass a barrier before restaging (every thread has read the tiles).
fn stage_keys(r: u32, hk: u32, k0: u32, keys: u32) {
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
}
