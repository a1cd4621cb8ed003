/**
 * WGSL has no include, so a piece of WGSL that several kernels share lives in a file of its own in src/shaders,
 * named for what it computes (`matmul_register_block.wgsl`, `workgroup_sum.wgsl`), its header stating what it needs
 * from the kernel and what it gives. A launcher compiles its kernel's file followed by those pieces: WGSL's
 * module-scope declarations may come in any order, so concatenation is all it takes (a piece may use the kernel's
 * params and overrides, the kernel the piece's functions). The kernel's own file comes first, so the line numbers of
 * a compile error in it are its own.
 */
export function spliceWgsl(kernel: string, ...pieces: string[]): string {
  return [kernel, ...pieces].join('\n');
}
