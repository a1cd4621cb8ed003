// Turns one vocabulary chunk of logits, in place, into its gradient:
//   dlogits[t, c] = (softmax(x)[t, offset + c] − [offset + c == label_t]) · grad_scale,  0 for ignored/bad labels,
// with softmax = exp(x − m) / s from the forward pass's stats. logits [T, count], stats [T, 3], labels [T] i32.

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  tokens: u32,
  count: u32,
  offset: u32,
  vocab: u32,
  grad_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>; // [T, 3]
@group(0) @binding(2) var<storage, read> labels: array<i32>; // [T]
@group(0) @binding(3) var<storage, read_write> logits: array<f32>; // [T, count], in: logits, out: their gradient

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.tokens * params.count) {
    return;
  }
  let row = i / params.count;
  let col = params.offset + i % params.count;
  let label = labels[row];
  if (label < 0 || u32(label) >= params.vocab) {
    logits[i] = 0.0;
    return;
  }
  var d = exp(logits[i] - stats[3u * row]) / stats[3u * row + 1u];
  if (u32(label) == col) {
    d -= 1.0;
  }
  logits[i] = d * params.grad_scale;
}
