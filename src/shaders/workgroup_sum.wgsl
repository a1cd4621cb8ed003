// The sum of one f32 per thread over a workgroup of WORKGROUP_SIZE threads (a power of two): a tree reduction in
// workgroup memory, whose order depends only on WORKGROUP_SIZE, so the sum is the same on every run. Spliced in by
// the launchers of rmsnorm_forward, rmsnorm_backward, grad_norm_forward, grad_norm_forward_finish and lora_shrink_forward.
//
// Contract with the kernel: it declares WORKGROUP_SIZE, and every thread of the workgroup calls workgroup_sum (it
// holds barriers) once, in uniform control flow. Every thread gets the sum.

var<workgroup> partial_sums: array<f32, WORKGROUP_SIZE>;

fn workgroup_sum(lane: u32, value: f32) -> f32 {
  partial_sums[lane] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      partial_sums[lane] += partial_sums[lane + stride];
    }
    workgroupBarrier();
  }
  return partial_sums[0];
}
