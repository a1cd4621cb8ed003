// Causal grouped-query self-attention, forward, streamed over key tiles with an online softmax (running max
// and sum, the accumulator rescaled as the max grows), so the T×Tk score matrix never exists.
// q, out [T, Hq, D]; k, v [Tk, Hkv, D]; seqStart [T] u32; lse [Hq, T] (log-sum-exp of each row's scores).
// Query i sits at key position qOffset + i and sees keys seqStart[i] ..= qOffset + i.
//
// One thread per row, BLOCK_ROWS rows of one kv head's group per workgroup (attention_query_block.wgsl; q, k, v
// and their rows: attention_head_rows.wgsl, both spliced in by the launcher). A thread keeps its query and output
// rows in registers and walks the staged keys on its own: no score tile, no per-key barrier, one rescale of the
// output per tile (FlashAttention-2's order), and two barriers per tile.

override BLOCK_ROWS: u32 = 64u;
override BLOCK_KEYS: u32 = 32u;
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
// @binding(1) to @binding(3): q, k, v, declared by attention_head_rows.wgsl
@group(0) @binding(4) var<storage, read> seqStart: array<u32>; // [T]
@group(0) @binding(5) var<storage, read_write> out: array<f32>; // [T, Hq, D]
@group(0) @binding(6) var<storage, read_write> lse: array<f32>; // [Hq, T]

@compute @workgroup_size(BLOCK_ROWS)
fn main(@builtin(local_invocation_index) r: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = query_row(r, wid, params.qOffset);
  var qr: array<vec4<f32>, MAX_HEAD_VECS>;
  var acc: array<vec4<f32>, MAX_HEAD_VECS>;
  for (var x = 0u; x < HEAD_VECS; x++) {
    // The scale is folded into q once instead of into every score.
    qr[x] = select(vec4<f32>(0.0), readQ(row.qBase, x) * params.scale, row.live);
    acc[x] = vec4<f32>(0.0);
  }
  let range = key_range(r, wid, params.qOffset);

  var m = MASKED;
  var l = 0.0;
  var s: array<f32, MAX_BLOCK_KEYS>;
  for (var k0 = range.x; k0 < range.y; k0 += BLOCK_KEYS) {
    let keys = min(BLOCK_KEYS, range.y - k0);
    stage_keys(r, wid.y, k0, keys);

    // Scores of this tile's keys, and their max.
    var mNew = m;
    for (var j = 0u; j < BLOCK_KEYS; j++) {
      let key = k0 + j;
      var d4 = vec4<f32>(0.0);
      for (var x = 0u; x < HEAD_VECS; x++) { d4 = fma(qr[x], kTile[j * HEAD_VECS + x], d4); }
      let visible = j < keys && key >= row.first && key <= row.last;
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

  if (row.live) {
    // A row that sees no key (only possible with an inconsistent seqStart) gets out = 0 and lse = MASKED.
    lse[row.h * params.T + row.i] = select(MASKED, m + log(l), l > 0.0);
    let inv = select(0.0, 1.0 / l, l > 0.0);
    for (var x = 0u; x < HEAD_VECS; x++) {
      let o = acc[x] * inv;
      for (var t = 0u; t < 4u; t++) {
        if (4u * x + t < HEAD_DIM) { out[row.qBase + 4u * x + t] = o[t]; }
      }
    }
  }
}
