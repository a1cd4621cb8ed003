// One AdamW step over n parameters, PyTorch's torch.optim.AdamW semantics (decoupled weight decay, bias-corrected
// moments): with g the gradient, optionally clipped by c = min(1, max_norm / (sqrt(norm_sq) + 1e-6)) as in
// torch.nn.utils.clip_grad_norm_,
//   m ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²,   m̂ = m / (1−β1^t),   v̂ = v / (1−β2^t),
//   p ← p − lr·(m̂ / (√v̂ + eps) + wd·p)
// which is PyTorch's order: p ← p − lr·wd·p (the decay, on the old p), then the Adam step.
// Two parameter groups, as PyTorch's param_groups with their own lr: elements from group2_start on step with
// lr·group2_lr_ratio (decay included), LoRA+'s faster B; group2_start = n leaves one group.
// Entry points: `main` (no clipping) and `main_clipped` (reads norm_sq[norm_index] on the GPU: no readback).
// param, grad, m, v: [n]. norm_sq: [≥ norm_index + 1], the squared global gradient norm.

override WORKGROUP_SIZE: u32 = 256u;
// Zero the gradient after reading it, so the next step's accumulation starts clean without a clear.
override ZERO_GRAD: bool = false;

struct Params {
  n: u32,
  norm_index: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  bias_correction1: f32,
  bias_correction2: f32,
  max_grad_norm: f32,
  group2_start: u32,
  group2_lr_ratio: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>; // [n]
@group(0) @binding(2) var<storage, read_write> grad: array<f32>; // [n], the gradient
@group(0) @binding(3) var<storage, read_write> m: array<f32>; // [n], first moment
@group(0) @binding(4) var<storage, read_write> v: array<f32>; // [n], second moment
@group(0) @binding(5) var<storage, read> norm_sq: array<f32>; // [≥ norm_index + 1], squared gradient norms

fn update(i: u32, grad_scale: f32) {
  let g = grad[i] * grad_scale;
  if (ZERO_GRAD) {
    grad[i] = 0.0;
  }
  let m_i = params.beta1 * m[i] + (1.0 - params.beta1) * g;
  let v_i = params.beta2 * v[i] + (1.0 - params.beta2) * g * g;
  m[i] = m_i;
  v[i] = v_i;
  let m_hat = m_i / params.bias_correction1;
  let v_hat = v_i / params.bias_correction2;
  let p = param[i];
  let lr = select(params.lr, params.lr * params.group2_lr_ratio, i >= params.group2_start);
  param[i] = p - lr * (m_hat / (sqrt(v_hat) + params.eps) + params.weight_decay * p);
}

fn index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i < params.n) {
    update(i, 1.0);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_clipped(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i < params.n) {
    update(i, min(1.0, params.max_grad_norm / (sqrt(norm_sq[params.norm_index]) + 1e-6)));
  }
}
