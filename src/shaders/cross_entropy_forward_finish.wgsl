// Per-token loss from the running statistics, and the step's metrics, in one workgroup (deterministic order):
//   losses[t] = m + log(s) − logit[label]   (0 when label < 0, the ignore index, or label ≥ V, a bad label)
//   metrics[i] = Σ losses, metrics[i+1] = number of valid labels, metrics[i+2] = number of labels ≥ V.
// stats [T, 3], labels [T] i32, losses [T], metrics [≥ i+3].

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  tokens: u32,
  vocab: u32,
  metrics_index: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>; // [T, 3]
@group(0) @binding(2) var<storage, read> labels: array<i32>; // [T]
@group(0) @binding(3) var<storage, read_write> losses: array<f32>; // [T]
@group(0) @binding(4) var<storage, read_write> metrics: array<f32>; // [≥ metrics_index + 3]

var<workgroup> shared_loss: array<f32, WORKGROUP_SIZE>;
var<workgroup> shared_valid: array<u32, WORKGROUP_SIZE>;
var<workgroup> shared_bad: array<u32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var loss_sum = 0.0;
  var valid = 0u;
  var bad = 0u;
  for (var t = lid; t < params.tokens; t += WORKGROUP_SIZE) {
    let label = labels[t];
    var loss = 0.0;
    if (label >= 0 && u32(label) < params.vocab) {
      loss = stats[3u * t] + log(stats[3u * t + 1u]) - stats[3u * t + 2u];
      valid += 1u;
    } else if (label >= 0) {
      bad += 1u;
    }
    losses[t] = loss;
    loss_sum += loss;
  }
  shared_loss[lid] = loss_sum;
  shared_valid[lid] = valid;
  shared_bad[lid] = bad;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      shared_loss[lid] += shared_loss[lid + stride];
      shared_valid[lid] += shared_valid[lid + stride];
      shared_bad[lid] += shared_bad[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    metrics[params.metrics_index] = shared_loss[0];
    metrics[params.metrics_index + 1u] = f32(shared_valid[0]);
    metrics[params.metrics_index + 2u] = f32(shared_bad[0]);
  }
}
