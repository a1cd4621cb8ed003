/** CPU reference of dropout_forward.wgsl: the same hash, bit for bit, so masks can be compared exactly. */

function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** ⌊p·2³²⌋, clamped to u32: elements whose hash is below it are dropped. */
export function dropoutThreshold(p: number): number {
  return Math.min(0xffffffff, Math.floor(p * 2 ** 32));
}

export function dropoutKeeps(i: number, seed: number, p: number): boolean {
  return pcgHash((i ^ pcgHash(seed)) >>> 0) >= dropoutThreshold(p);
}

/** out[i] = keep(i) ? x[i]/(1−p) : 0 (the backward is the same map applied to dOut). */
export function dropoutForwardRef(x: ArrayLike<number>, seed: number, p: number): Float32Array {
  const scale = Math.fround(1 / (1 - p));
  return Float32Array.from(x, (v, i) => (dropoutKeeps(i, seed, p) ? Math.fround(v * scale) : 0));
}
