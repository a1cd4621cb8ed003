/**
 * AdamW over a list of parameter tensors: PyTorch's torch.optim.AdamW (decoupled weight decay: p ← p − lr·wd·p,
 * then the bias-corrected Adam step p ← p − lr·m̂/(√v̂ + eps)), with optional clipping by the global norm as in
 * torch.nn.utils.clip_grad_norm_ (scale min(1, maxGradNorm / (‖g‖ + 1e-6))), where ‖g‖² is read on the GPU
 * from `normSq` (see grad_norm.ts), so a step never waits for a readback.
 *   params[i], grads[i], m[i], v[i]: f32, same size each; normSq: f32 [≥ normSqIndex + 1].
 * One dispatch per parameter tensor: four read-write buffers each, so two tensors would pass WebGPU's default
 * limit of 8 storage buffers. Keeping trainable parameters in few large tensors keeps the dispatch count low; a
 * tensor's tail may form a second group with its own learning rate (`group2`, as PyTorch's param_groups), so a
 * block whose LoRA B matrices come last takes LoRA+ in the same dispatch.
 */
import adamwUpdateWgsl from '../../shaders/adamw_update.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';

const WORKGROUP_SIZE = 256;

export interface AdamWArgs {
  params: readonly Tensor[];
  grads: readonly Tensor[];
  /** First moments, same shapes as params, zero before step 1. */
  m: readonly Tensor[];
  /** Second moments, same shapes as params, zero before step 1. */
  v: readonly Tensor[];
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1 on the first update (bias correction uses β^step). */
  step: number;
  /** Clip by the global norm; needs `normSq`. */
  maxGradNorm?: number;
  /** Squared global gradient norm, written by gradNormSquared earlier in the same or an earlier submit. */
  normSq?: Tensor;
  normSqIndex?: number;
  /** Write 0 into each gradient after reading it (replaces a separate clear before the next backward). */
  zeroGrad?: boolean;
  /** Elements from `start` on (of every tensor) step with lr·lrRatio, weight decay included. */
  group2?: { start: number; lrRatio: number };
}

function fail(message: string): never {
  throw new GpuError(`adamw_update: ${message}`);
}

function checkHyper(a: AdamWArgs): void {
  const finite = (name: string, x: number) => {
    if (!Number.isFinite(x)) fail(`${name} = ${x} is not finite`);
  };
  finite('lr', a.lr);
  finite('eps', a.eps);
  finite('weightDecay', a.weightDecay);
  if (a.lr < 0) fail(`lr = ${a.lr} is negative`);
  if (!(a.beta1 >= 0 && a.beta1 < 1)) fail(`beta1 = ${a.beta1} is outside [0, 1)`);
  if (!(a.beta2 >= 0 && a.beta2 < 1)) fail(`beta2 = ${a.beta2} is outside [0, 1)`);
  if (!(a.eps > 0)) fail(`eps = ${a.eps} must be positive`);
  if (a.weightDecay < 0) fail(`weightDecay = ${a.weightDecay} is negative`);
  if (!Number.isInteger(a.step) || a.step < 1) fail(`step = ${a.step} must be an integer ≥ 1`);
  if (a.group2) {
    const { start, lrRatio } = a.group2;
    if (!Number.isInteger(start) || start < 0) fail(`group2.start = ${start} must be an integer ≥ 0`);
    if (!Number.isFinite(lrRatio) || lrRatio < 0) fail(`group2.lrRatio = ${lrRatio} must be a finite number ≥ 0`);
  }
}

/** Updates every params[i] in place, and m[i], v[i] (and zeroes grads[i] when asked). */
export function adamwStep(ctx: GpuContext, a: AdamWArgs): void {
  checkHyper(a);
  const n = a.params.length;
  if (a.grads.length !== n || a.m.length !== n || a.v.length !== n) {
    fail(`lists differ in length: ${n} params, ${a.grads.length} grads, ${a.m.length} m, ${a.v.length} v`);
  }
  const clip = a.maxGradNorm !== undefined;
  const normSqIndex = a.normSqIndex ?? 0;
  if (clip) {
    if (!(a.maxGradNorm! > 0) || !Number.isFinite(a.maxGradNorm!)) fail(`maxGradNorm = ${a.maxGradNorm} must be > 0`);
    const ns = a.normSq;
    if (!ns) fail('maxGradNorm needs normSq (the squared global norm from gradNormSquared)');
    if (ns.dtype !== 'f32' || !Number.isInteger(normSqIndex) || normSqIndex < 0 || normSqIndex >= ns.size) {
      fail(`normSq ${ns} must be f32 with an element at index ${normSqIndex}`);
    }
  }
  const written = new Set<GPUBuffer>();
  for (let i = 0; i < n; i++) {
    const group = [a.params[i], a.grads[i], a.m[i], a.v[i]];
    for (const t of group) {
      if (t.dtype !== 'f32') fail(`${t} must be f32`);
      if (t.size !== a.params[i].size) fail(`sizes differ for parameter ${i}: ${group.map(String).join(', ')}`);
      // Each buffer is written by exactly one dispatch; a shared one would alias within or across dispatches.
      if (written.has(t.buffer)) fail(`${t} shares its buffer with another parameter, gradient or moment`);
      written.add(t.buffer);
    }
  }
  if (clip && written.has(a.normSq!.buffer)) fail(`normSq ${a.normSq} shares a buffer with a written tensor`);

  const kernel = ctx.kernel({
    name: 'adamw_update',
    code: adamwUpdateWgsl,
    constants: { WORKGROUP_SIZE, ZERO_GRAD: a.zeroGrad ? 1 : 0 },
    entryPoint: clip ? 'main_clipped' : 'main',
  });
  // Bias corrections in float64 on the host: 1 − β2^t is tiny early on and would lose digits in f32 powers.
  const bc1 = 1 - a.beta1 ** a.step;
  const bc2 = 1 - a.beta2 ** a.step;
  for (let i = 0; i < n; i++) {
    const size = a.params[i].size;
    if (size === 0) continue;
    const params = new Params()
      .u32(size)
      .u32(normSqIndex)
      .f32(a.lr)
      .f32(a.beta1)
      .f32(a.beta2)
      .f32(a.eps)
      .f32(a.weightDecay)
      .f32(bc1)
      .f32(bc2)
      .f32(a.maxGradNorm ?? 0)
      .u32(Math.min(a.group2?.start ?? size, size))
      .f32(a.group2?.lrRatio ?? 1);
    const bindings = [a.params[i], a.grads[i], a.m[i], a.v[i]];
    if (clip) bindings.push(a.normSq!);
    ctx.dispatch(kernel, params, bindings, linearGrid(size, WORKGROUP_SIZE));
  }
}
