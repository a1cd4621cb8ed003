// Online-softmax statistics of one vocabulary chunk of logits, merged into each token's running statistics.
// One workgroup per token. logits [T, count] are columns offset .. offset+count of the full [T, V] logits.
// stats [T, 3] per token: running max m, running Σ exp(x − m), and the label's logit (0 until its chunk is seen).
// Merging (m_a, s_a) with (m_b, s_b): m = max(m_a, m_b), s = s_a·exp(m_a − m) + s_b·exp(m_b − m), which never
// exponentiates a positive number, so logits of any magnitude are safe.

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  tokens: u32,
  count: u32,
  offset: u32,
  // 1 for the first chunk: overwrite stats rather than merge into them (saves clearing the buffer).
  first: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>; // [T, count]
@group(0) @binding(2) var<storage, read> labels: array<i32>; // [T]
@group(0) @binding(3) var<storage, read_write> stats: array<f32>; // [T, 3]

// Far below any logit: a neutral "max so far" whose exp(lowest − x) underflows to 0 instead of producing NaN.
const LOWEST: f32 = -3.0e38;

var<workgroup> shared_max: array<f32, WORKGROUP_SIZE>;
var<workgroup> shared_sum: array<f32, WORKGROUP_SIZE>;

fn merged_sum(m_a: f32, s_a: f32, m_b: f32, s_b: f32, m: f32) -> f32 {
  return s_a * exp(m_a - m) + s_b * exp(m_b - m);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= params.tokens) {
    return;
  }
  let base = row * params.count;
  var m = LOWEST;
  var s = 0.0;
  for (var c = lid; c < params.count; c += WORKGROUP_SIZE) {
    let x = logits[base + c];
    if (x > m) {
      s = s * exp(m - x) + 1.0;
      m = x;
    } else {
      s += exp(x - m);
    }
  }
  shared_max[lid] = m;
  shared_sum[lid] = s;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      let m_a = shared_max[lid];
      let m_b = shared_max[lid + stride];
      let mm = max(m_a, m_b);
      shared_sum[lid] = merged_sum(m_a, shared_sum[lid], m_b, shared_sum[lid + stride], mm);
      shared_max[lid] = mm;
    }
    workgroupBarrier();
  }
  if (lid != 0u) {
    return;
  }
  let chunk_max = shared_max[0];
  let chunk_sum = shared_sum[0];
  let label = labels[row];
  let in_chunk = label >= 0 && u32(label) >= params.offset && u32(label) - params.offset < params.count;
  if (params.first == 1u) {
    stats[3u * row] = chunk_max;
    stats[3u * row + 1u] = chunk_sum;
    var label_logit = 0.0;
    if (in_chunk) {
      label_logit = logits[base + u32(label) - params.offset];
    }
    stats[3u * row + 2u] = label_logit;
    return;
  }
  let m_old = stats[3u * row];
  let mm = max(m_old, chunk_max);
  stats[3u * row + 1u] = merged_sum(m_old, stats[3u * row + 1u], chunk_max, chunk_sum, mm);
  stats[3u * row] = mm;
  if (in_chunk) {
    stats[3u * row + 2u] = logits[base + u32(label) - params.offset];
  }
}
