// The entry point of the kernels that run one thread per element, over the grid of linearGrid(count,
// WORKGROUP_SIZE) in src/gpu/grid.ts: a 1-D grid wider than 65,535 workgroups is folded into rows of
// num_workgroups.x workgroups, and the grid is rounded up to whole workgroups. Spliced in by the launchers of
// residual, swiglu, embedding_forward, dropout_forward, attention_backward_delta, column_scale_forward and lora_expand_forward.
//
// Contract with the kernel: it defines element_count() -> u32, the number of threads that have work, and
// element(i: u32), the work of thread i < element_count().

override WORKGROUP_SIZE: u32 = 256u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i < element_count()) {
    element(i);
  }
}
