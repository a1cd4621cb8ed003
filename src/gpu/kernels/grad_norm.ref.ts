/** CPU reference for grad_norm.ts: Σ over tensors Σ g², in float64. */
export function gradNormSquaredRef(grads: readonly ArrayLike<number>[]): number {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  return sum;
}
