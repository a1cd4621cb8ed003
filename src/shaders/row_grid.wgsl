// The entry point of the kernels that run one workgroup per row, over the grid of linearGrid(rows, 1) in
// src/gpu/grid.ts: rows past 65,535 fold into workgroup_id.y. Spliced in by the launchers of rmsnorm_forward,
// rmsnorm_backward, grad_norm_forward and lora_shrink_forward, with workgroup_sum.wgsl for the row's reduction.
//
// Contract with the kernel: it declares WORKGROUP_SIZE and defines row_count() -> u32, the number of rows, and
// row_work(row, lane), the work of thread `lane` on `row` (all of a workgroup's threads share one row, so
// row_work runs in uniform control flow and may hold barriers).

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row < row_count()) {
    row_work(row, lane);
  }
}
