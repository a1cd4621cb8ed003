/**
 * The kernel benchmark's cases: each pairs one of our kernels with the same operation done by TF.js's WebGPU
 * backend on the same GPUDevice, over the same input values. Inputs are made per group of cases and freed after.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { GpuContext } from '../src/gpu/context';
import { embeddingForward } from '../src/gpu/kernels/embedding';
import { matmulBackwardInput, matmulBackwardWeight, matmulForward } from '../src/gpu/kernels/matmul';
import { residualForward } from '../src/gpu/kernels/residual';
import { rmsnormForward } from '../src/gpu/kernels/rmsnorm';
import { ropeForward, ropeInverseFrequencies } from '../src/gpu/kernels/rope';
import { swigluForward } from '../src/gpu/kernels/swiglu';
import type { Tensor } from '../src/gpu/tensor';
import { randomArray, randomInts } from '../src/gpu/testing/random';
import { tfjsSubmit, type TfjsOnDevice } from './tfjs';
import type { Run } from './timing';

export interface BenchCase {
  op: string;
  shape: string;
  /** What one run does: floating-point operations (matmul) or the minimum bytes it must read and write. */
  work: { flops: number } | { bytes: number };
  /** How TF.js does it (one op, or the ops composed where TF.js has no single op). */
  tfjs: string;
  ours: Run;
  theirs: Run;
}

/** A group of cases sharing inputs; `dispose` frees them (ours and TF.js's) once the group has run. */
export interface CaseGroup {
  cases: BenchCase[];
  dispose(): void;
}

export interface Bench {
  ctx: GpuContext;
  tfjs: TfjsOnDevice;
}

function ourRun(ctx: GpuContext, record: () => void): Run {
  return async () => {
    record();
    await ctx.sync();
  };
}

function tfRun({ tfjs }: Bench, op: () => TfCore.Tensor): Run {
  return async () => {
    const out = tfjs.tf.tidy(op);
    tfjsSubmit(tfjs.backend);
    await tfjs.backend.device.queue.onSubmittedWorkDone();
    out.dispose();
  };
}

/** A tensor with the same random values on our side and TF.js's. */
function both(b: Bench, shape: number[], seed: number, label: string): { ours: Tensor; tf: TfCore.Tensor } {
  const data = randomArray(shape.reduce((p, d) => p * d, 1), seed);
  return { ours: b.ctx.tensor(shape, 'f32', label, data), tf: b.tfjs.tf.tensor(data, shape, 'float32') };
}

/**
 * The three products of a linear layer nn.Linear(in=K, out=N) over M tokens:
 * forward Y [M,N] = X [M,K]·W [N,K]ᵀ, backward input dX [M,K] = dY [M,N]·W, backward weight dW [N,K] = dYᵀ·X.
 */
export function matmulCases(b: Bench, model: string, m: number, k: number, n: number): CaseGroup {
  const { ctx, tfjs } = b;
  const x = both(b, [m, k], 1, 'x'), w = both(b, [n, k], 2, 'w'), dy = both(b, [m, n], 3, 'dy');
  const y = ctx.tensor([m, n], 'f32', 'y'), dx = ctx.tensor([m, k], 'f32', 'dx'), dw = ctx.tensor([n, k], 'f32', 'dw');
  const flops = 2 * m * n * k;
  const shape = `${model} ${m}×${k}→${n}`;
  const mm = tfjs.tf.matMul;
  return {
    cases: [
      {
        op: 'matmul fwd  Y=X·Wᵀ',
        shape,
        work: { flops },
        tfjs: 'tf.matMul(x, w, false, true)',
        ours: ourRun(ctx, () => matmulForward(ctx, x.ours, w.ours, y)),
        theirs: tfRun(b, () => mm(x.tf, w.tf, false, true)),
      },
      {
        op: 'matmul bwd  dX=dY·W',
        shape,
        work: { flops },
        tfjs: 'tf.matMul(dy, w)',
        ours: ourRun(ctx, () => matmulBackwardInput(ctx, dy.ours, w.ours, dx)),
        theirs: tfRun(b, () => mm(dy.tf, w.tf, false, false)),
      },
      {
        op: 'matmul bwd  dW=dYᵀ·X',
        shape,
        work: { flops },
        tfjs: 'tf.matMul(dy, x, true, false)',
        ours: ourRun(ctx, () => matmulBackwardWeight(ctx, dy.ours, x.ours, dw)),
        theirs: tfRun(b, () => mm(dy.tf, x.tf, true, false)),
      },
    ],
    dispose() {
      for (const t of [x, w, dy]) {
        ctx.release(t.ours);
        t.tf.dispose();
      }
      for (const t of [y, dx, dw]) ctx.release(t);
    },
  };
}

/** SmolLM2-135M's elementwise kernels at T tokens: width C, MLP width F, H heads of D, vocabulary V. */
export function elementwiseCases(
  b: Bench,
  dims: { t: number; c: number; f: number; heads: number; headDim: number; vocab: number },
): CaseGroup {
  const { ctx, tfjs } = b;
  const { tf } = tfjs;
  const { t, c, f, heads, headDim, vocab } = dims;
  const eps = 1e-5;
  const a = both(b, [t, c], 11, 'a'), r = both(b, [t, c], 12, 'r'), norm = both(b, [c], 13, 'norm');
  const gate = both(b, [t, f], 14, 'gate'), up = both(b, [t, f], 15, 'up');
  const q = both(b, [t, heads, headDim], 16, 'q'), table = both(b, [vocab, c], 17, 'table');
  const sum = ctx.tensor([t, c], 'f32', 'sum'), normed = ctx.tensor([t, c], 'f32', 'normed');
  const rstd = ctx.tensor([t], 'f32', 'rstd'), act = ctx.tensor([t, f], 'f32', 'act');
  const rotated = ctx.tensor([t, heads, headDim], 'f32', 'rotated'), rows = ctx.tensor([t, c], 'f32', 'rows');
  const positions = Uint32Array.from({ length: t }, (_, i) => i);
  const invFreq = ropeInverseFrequencies(headDim, 100000);
  const ourPositions = ctx.tensor([t], 'u32', 'positions', positions);
  const ourInvFreq = ctx.tensor([headDim / 2], 'f32', 'invFreq', invFreq);
  const tfPositions = tf.tensor(Float32Array.from(positions), [t, 1]);
  const tfInvFreq = tf.tensor(invFreq, [1, headDim / 2]);
  const ids = randomInts(t, vocab, 18);
  const ourIds = ctx.tensor([t], 'u32', 'ids', ids), tfIds = tf.tensor(Int32Array.from(ids), [t], 'int32');
  const f32 = 4;
  const half = headDim / 2;
  return {
    cases: [
      {
        op: 'residual add',
        shape: `${t}×${c}`,
        work: { bytes: 3 * t * c * f32 },
        tfjs: 'tf.add',
        ours: ourRun(ctx, () => residualForward(ctx, a.ours, r.ours, sum)),
        theirs: tfRun(b, () => tf.add(a.tf, r.tf)),
      },
      {
        op: 'RMSNorm fwd',
        shape: `${t}×${c}`,
        work: { bytes: (2 * t * c + c + t) * f32 },
        tfjs: 'composed (5 ops): square, mean, add, rsqrt, mul ×2',
        ours: ourRun(ctx, () => rmsnormForward(ctx, a.ours, norm.ours, normed, rstd, eps)),
        theirs: tfRun(b, () => tf.mul(tf.mul(a.tf, tf.rsqrt(tf.add(tf.mean(tf.square(a.tf), -1, true), eps))), norm.tf)),
      },
      {
        op: 'SwiGLU fwd',
        shape: `${t}×${f}`,
        work: { bytes: 3 * t * f * f32 },
        tfjs: 'composed (3 ops): sigmoid, mul, mul',
        ours: ourRun(ctx, () => swigluForward(ctx, gate.ours, up.ours, act)),
        theirs: tfRun(b, () => tf.mul(tf.mul(gate.tf, tf.sigmoid(gate.tf)), up.tf)),
      },
      {
        op: 'RoPE fwd (rotate-half)',
        shape: `${t}×${heads}×${headDim}`,
        work: { bytes: 2 * t * heads * headDim * f32 + t * 4 + half * f32 },
        tfjs: 'composed (12 ops): matMul (angles), cos, sin, concat ×3, slice ×2, neg, mul ×2, add',
        ours: ourRun(ctx, () => ropeForward(ctx, q.ours, rotated, ourPositions, ourInvFreq, 'half')),
        theirs: tfRun(b, () => {
          const angles = tf.matMul(tfPositions, tfInvFreq); // [T, D/2]
          const cosHalf = tf.cos(angles), sinHalf = tf.sin(angles);
          const cos = tf.reshape(tf.concat([cosHalf, cosHalf], 1), [t, 1, headDim]);
          const sin = tf.reshape(tf.concat([sinHalf, sinHalf], 1), [t, 1, headDim]);
          const x1 = tf.slice(q.tf, [0, 0, 0], [t, heads, half]);
          const x2 = tf.slice(q.tf, [0, 0, half], [t, heads, half]);
          return tf.add(tf.mul(q.tf, cos), tf.mul(tf.concat([tf.neg(x2), x1], 2), sin));
        }),
      },
      {
        op: 'embedding gather',
        shape: `${t} of ${vocab}×${c}`,
        work: { bytes: 2 * t * c * f32 + t * 4 },
        tfjs: 'tf.gather',
        ours: ourRun(ctx, () => embeddingForward(ctx, ourIds, table.ours, rows)),
        theirs: tfRun(b, () => tf.gather(table.tf, tfIds)),
      },
    ],
    dispose() {
      for (const x of [a, r, norm, gate, up, q, table]) {
        ctx.release(x.ours);
        x.tf.dispose();
      }
      for (const x of [sum, normed, rstd, act, rotated, rows, ourPositions, ourInvFreq, ourIds]) ctx.release(x);
      for (const x of [tfPositions, tfInvFreq, tfIds]) x.dispose();
    },
  };
}
