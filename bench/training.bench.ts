/**
 * Training benchmark: tokens/s of a LoRA training step and its split into forward / backward / optimizer, for
 * stories260K (the real GGUF) and a synthetic model of SmolLM2-135M's exact shapes (random weights), at sequence
 * length 256, with the base in F32 and in NF4 (QLoRA), with and without activation recomputation. For each case:
 * the engine allocator's measured peak next to src/train/memory-estimate.ts's prediction, and the step's achieved
 * FLOP rate as a fraction of the best matmul GFLOP/s in bench/results/kernels.json (when that file exists and
 * was measured on the same adapter). Prints a table and writes bench/results/training.json.
 *
 * Method per case: upload, build the trainer with `profile` on (it waits for the GPU between phases, so the
 * split is real wall time, and a step is a little slower than unprofiled), the pipelines created ahead
 * (preparePipelines, timed), one warm-up step, then timed optimizer steps of one micro-batch of 256 tokens
 * (rank 8, all seven targets); figures are medians. FLOPs counted are the useful ones: forward (2·T·Σ linear weights incl. the LM head, plus
 * causal attention 2·T²·Hq·D per layer), backward through the frozen weights (the same again) and attention
 * (twice its forward), LoRA's own products; recomputation is not counted as useful work.
 *
 * Run: npm run bench:training. BENCH_ONLY=<text> runs only cases whose name contains it; BENCH_STEPS,
 * BENCH_SMOL_STEPS set the timed steps; BENCH_SEQ_LEN the tokens per step; BENCH_RESULTS another output path;
 * BENCH_PROFILE=1 adds one more step per case with every dispatch timed by timestamp queries (kernel-profiler.ts)
 * and prints and stores where that step's GPU time went, by kernel and grid.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TokenBatch } from '../src/data/batch-types';
import { GpuContext } from '../src/gpu/context';
import { isSoftwareAdapter } from '../src/gpu/device';
import { acquireNodeDevice } from '../src/gpu/device-node';
import { KernelProfiler, type KernelTime } from '../src/gpu/kernel-profiler';
import { matmulBackwardInput } from '../src/gpu/kernels/matmul';
import { LORA_TARGETS } from '../src/model/lora-targets';
import { releaseModel, uploadModel } from '../src/gpu/model/upload';
import { LoraTrainer } from '../src/gpu/train/lora-trainer';
import type { ModelConfig } from '../src/model/config';
import { openGgufModel } from '../src/model/gguf/model';
import { fileSource } from '../src/model/source-node';
import type { ModelWeights } from '../src/model/tensor-map';
import { baseStorage } from '../src/model/quant/storage';
import { estimateTrainingMemory } from '../src/train/memory-estimate';
import { readHfConfig, SMOLLM2_135M_CONFIG, syntheticModelWeights } from './synthetic-model';

const STORIES_GGUF = new URL('../../shared/models/stories260K/stories260K.gguf', import.meta.url);
const KERNELS = new URL('./results/kernels.json', import.meta.url);
const RESULTS = process.env.BENCH_RESULTS
  ? new URL(process.env.BENCH_RESULTS, `file://${process.cwd()}/`)
  : new URL('./results/training.json', import.meta.url);
const RANK = 8;

const envInt = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}='${v}' is not a positive whole number`);
  return n;
};

interface Case {
  name: string;
  model: 'stories260K' | 'smollm2-135m-synthetic';
  quant: 'none' | 'nf4';
  checkpointing: boolean;
  steps: number;
  open(): Promise<{ weights: ModelWeights; close(): Promise<void> }>;
}

/** Useful FLOPs of one LoRA training step of T tokens (see the file comment). */
export function stepFlops(c: ModelConfig, T: number, rank: number): number {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const perLayerLinear = c.hiddenSize * (q + 2 * kv) + q * c.hiddenSize + 3 * c.hiddenSize * c.intermediateSize;
  const linear = 2 * T * (c.numLayers * perLayerLinear + c.vocabSize * c.hiddenSize);
  const attention = c.numLayers * 2 * T * T * q; // QKᵀ and PV over the causal half: 2 · (2·T²/2·Hq·D)
  const loraIo = c.numLayers * (3 * c.hiddenSize + q + 2 * kv + c.hiddenSize + q + 2 * c.intermediateSize + c.hiddenSize + 2 * c.intermediateSize);
  const lora = 2 * T * rank * loraIo; // x·Aᵀ and u·Bᵀ, summed (in + out) over the seven targets
  // forward: linear + attention + lora; backward: dX through W (linear), attention ×2, LoRA dA, dB, du, dx (×2).
  return linear + attention + lora + linear + 2 * attention + 2 * lora;
}

function syntheticBatch(T: number, vocab: number): TokenBatch {
  let s = 987654321;
  const tokens = new Uint32Array(T).map(() => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return 3 + (s % (vocab - 3));
  });
  const targets = new Int32Array(T).map((_, i) => (i + 1 < T ? tokens[i + 1] : -1));
  return {
    tokens,
    targets,
    positions: new Uint32Array(T).map((_, i) => i),
    seqStart: new Uint32Array(T),
    sequences: 1,
    trainedTokens: T - 1,
  };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * The kernel benchmark's best matmul (dX = dY·W at SmolLM2-135M's LM head, 256×576→49152) timed in this process
 * right after a case, so the step's FLOP rate is compared with a matmul measured under the same machine load
 * (these machines are shared; kernels.json may come from a quieter hour). Median of 3 after a warm-up run.
 */
async function sameRunMatmulGflops(ctx: GpuContext, T: number): Promise<number> {
  const [n, k] = [49152, 576];
  const dy = ctx.tensor([T, n], 'f32', 'bench.dy', new Float32Array(T * n).fill(0.001));
  const w = ctx.tensor([n, k], 'f32', 'bench.w', new Float32Array(n * k).fill(0.002));
  const dx = ctx.tensor([T, k], 'f32', 'bench.dx');
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    matmulBackwardInput(ctx, dy, w, dx);
    await ctx.sync();
    if (i > 0) times.push(performance.now() - t0);
  }
  for (const t of [dy, w, dx]) ctx.release(t);
  return (2 * T * n * k) / (median(times) * 1e-3) / 1e9;
}

function bestMatmulGflops(device: string): { gflops: number; shape: string } | null {
  if (!existsSync(KERNELS)) return null;
  const k = JSON.parse(readFileSync(KERNELS, 'utf8')) as {
    device?: { description?: string; vendor?: string; architecture?: string };
    rows?: { op: string; shape: string; unit: string; oursRate: number }[];
  };
  const theirs = JSON.stringify([k.device?.vendor, k.device?.architecture, k.device?.description]);
  if (theirs !== device) return null;
  const rows = (k.rows ?? []).filter((r) => r.unit === 'GFLOP/s' && r.op.includes('matmul'));
  if (!rows.length) return null;
  const best = rows.reduce((a, b) => (b.oursRate > a.oursRate ? b : a));
  return { gflops: best.oursRate, shape: `${best.op} ${best.shape}` };
}

/** One more step with every dispatch timed on the GPU; prints the kernels that took 90% of it. */
async function profiledStep(ctx: GpuContext, runStep: () => Promise<unknown>): Promise<KernelTime[]> {
  const profiler = new KernelProfiler(ctx.device);
  ctx.profiler = profiler;
  try {
    await runStep();
    await ctx.sync();
  } finally {
    ctx.profiler = null;
  }
  const times = await profiler.collect();
  profiler.destroy();
  const total = times.reduce((a, t) => a + t.ms, 0);
  let shown = 0;
  console.error(`  GPU time of a profiled step: ${total.toFixed(0)} ms in ${times.reduce((a, t) => a + t.dispatches, 0)} dispatches`);
  for (const t of times) {
    if (shown > 0.9 * total) break;
    shown += t.ms;
    console.error(`  ${(100 * t.ms / total).toFixed(1).padStart(5)}%  ${t.ms.toFixed(1).padStart(9)} ms  ×${t.dispatches}  ${t.kernel}`);
  }
  return times;
}

async function main(): Promise<void> {
  const acquired = await acquireNodeDevice();
  const ctx = GpuContext.fromAcquired(acquired);
  const report = acquired.report as unknown as { vendor?: string; architecture?: string; description?: string; isFallbackAdapter: boolean };
  const deviceKey = JSON.stringify([report.vendor, report.architecture, report.description]);
  const software = isSoftwareAdapter(acquired.report);
  const T = envInt('BENCH_SEQ_LEN', 256);
  const smolConfig = await readHfConfig(SMOLLM2_135M_CONFIG);
  const cases: Case[] = [];
  for (const quant of ['none', 'nf4'] as const) {
    for (const checkpointing of [false, true]) {
      const tag = `${quant === 'none' ? 'f32' : 'nf4'}${checkpointing ? '+recompute' : ''}`;
      cases.push({
        name: `stories260K ${tag}`,
        model: 'stories260K',
        quant,
        checkpointing,
        steps: envInt('BENCH_STEPS', 3),
        open: async () => {
          const source = await fileSource(fileURLToPath(STORIES_GGUF));
          const { weights } = await openGgufModel(source);
          return { weights, close: async () => source.close?.() };
        },
      });
      cases.push({
        name: `smollm2-135m ${tag}`,
        model: 'smollm2-135m-synthetic',
        quant,
        checkpointing,
        steps: envInt('BENCH_SMOL_STEPS', software ? 1 : 3),
        open: async () => ({ weights: syntheticModelWeights(smolConfig, { seed: 1 }), close: async () => {} }),
      });
    }
  }
  const only = process.env.BENCH_ONLY;
  const best = bestMatmulGflops(deviceKey);
  console.error(`training bench on ${deviceKey}${software ? ' (software adapter)' : ''}; best matmul: ${best ? `${best.gflops.toFixed(1)} GFLOP/s (${best.shape})` : 'no kernels.json for this adapter'}`);
  const rows: ({ name: string } & Record<string, unknown>)[] = [];
  const started = Date.now();
  for (const c of cases.filter((x) => !only || x.name.includes(only))) {
    const { weights, close } = await c.open();
    ctx.arena.trim();
    const before = ctx.memory.reservedBytes;
    ctx.arena.resetPeak();
    const uploaded = await uploadModel(ctx, weights, { quantize: c.quant });
    await close();
    const config = uploaded.config;
    const trainer = new LoraTrainer(ctx, uploaded, {
      lora: { rank: RANK, alpha: 2 * RANK, rsLora: false, targets: [...LORA_TARGETS] },
      dropout: 0,
      maxTokens: T,
      checkpointing: c.checkpointing,
      seed: 1,
      profile: true,
    });
    const batch = syntheticBatch(T, config.vocabSize);
    const hp = { learningRate: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1, loraPlusRatio: 1 };
    const runStep = async (b: TokenBatch = batch) => {
      const t0 = performance.now();
      await trainer.accumulate(b, b.trainedTokens);
      const m = await trainer.step(hp);
      return { ms: performance.now() - t0, timings: m.timings! };
    };
    // Pipelines ahead of time, as a run does, then a warm-up step on 32 tokens (so that a software adapter does not
    // spend a whole SmolLM2 step on it) that creates the few its shorter batch tiles differently.
    const prepareStarted = performance.now();
    const prepared = await trainer.preparePipelines();
    const prepareMs = performance.now() - prepareStarted;
    const warmup = await runStep(syntheticBatch(32, config.vocabSize));
    const timed = [];
    let dispatchesPerStep = 0;
    for (let i = 0; i < c.steps; i++) {
      const dispatched = ctx.dispatches;
      timed.push(await runStep());
      dispatchesPerStep = ctx.dispatches - dispatched;
    }
    const measuredPeak = ctx.memory.peakBytes - before;
    const kernelTimes = process.env.BENCH_PROFILE === '1' ? await profiledStep(ctx, runStep) : undefined;
    trainer.dispose();
    releaseModel(ctx, uploaded);
    const estimate = estimateTrainingMemory({
      config,
      storage: baseStorage(weights, c.quant),
      rank: RANK,
      targets: LORA_TARGETS,
      maxTokens: T,
      checkpointing: c.checkpointing,
      dropout: false,
      maxBindingBytes: ctx.maxBindingBytes,
    });
    const stepMs = median(timed.map((t) => t.ms));
    const flops = stepFlops(config, T, RANK);
    const gflops = flops / (stepMs * 1e-3) / 1e9;
    const matmulNow = await sameRunMatmulGflops(ctx, T);
    const row = {
      name: c.name,
      model: c.model,
      quant: c.quant,
      checkpointing: c.checkpointing,
      tokens: T,
      steps: c.steps,
      stepMs,
      tokensPerSecond: T / (stepMs / 1000),
      dispatchesPerStep,
      /** Creating the step's pipelines ahead of it (LoraTrainer.preparePipelines), and how many. */
      prepareMs,
      preparedPipelines: prepared,
      /** The first step (32 tokens) after that. */
      firstStepMs: warmup.ms,
      forwardMs: median(timed.map((t) => t.timings.forwardMs)),
      backwardMs: median(timed.map((t) => t.timings.backwardMs)),
      optimizerMs: median(timed.map((t) => t.timings.optimizerMs)),
      measuredPeakBytes: measuredPeak,
      estimatedPeakBytes: estimate.totalBytes,
      estimateRatio: estimate.totalBytes / measuredPeak,
      usefulGflopPerStep: flops / 1e9,
      achievedGflops: gflops,
      fractionOfBestMatmul: best ? gflops / best.gflops : null,
      sameRunMatmulGflops: matmulNow,
      fractionOfSameRunMatmul: gflops / matmulNow,
      stepsMs: timed.map((t) => t.ms),
      ...(kernelTimes ? { kernelTimes } : {}),
    };
    rows.push(row);
    console.log(
      `${row.name.padEnd(28)} ${row.tokensPerSecond.toFixed(1).padStart(8)} tok/s  step ${row.stepMs.toFixed(0)} ms ` +
        `(fwd ${row.forwardMs.toFixed(0)} / bwd ${row.backwardMs.toFixed(0)} / opt ${row.optimizerMs.toFixed(0)})  ` +
        `peak ${(measuredPeak / 2 ** 20).toFixed(1)} MiB est ${(estimate.totalBytes / 2 ** 20).toFixed(1)} MiB ` +
        `(${row.estimateRatio.toFixed(3)})  ${gflops.toFixed(2)} GFLOP/s` +
        (row.fractionOfBestMatmul === null ? '' : ` = ${(100 * row.fractionOfBestMatmul).toFixed(1)}% of best matmul`) +
        `; ${(100 * row.fractionOfSameRunMatmul).toFixed(1)}% of the same matmul timed now (${matmulNow.toFixed(2)} GFLOP/s); ` +
        `${dispatchesPerStep} dispatches/step; ${prepared} pipelines prepared in ${(prepareMs / 1000).toFixed(1)} s, ` +
        `then first step ${(warmup.ms / 1000).toFixed(1)} s`,
    );
  }
  // A partial run (BENCH_ONLY) keeps the other cases' rows of the results file, so the file always covers every case.
  if (only) {
    const previous = await readFile(RESULTS, 'utf8').then((t) => JSON.parse(t) as { rows?: typeof rows }, () => null);
    rows.unshift(...(previous?.rows ?? []).filter((r) => !rows.some((x) => x.name === r.name)));
    rows.sort((a, b) => cases.findIndex((c) => c.name === a.name) - cases.findIndex((c) => c.name === b.name));
  }
  const out = {
    date: new Date().toISOString(),
    device: acquired.report,
    software,
    method:
      `rank ${RANK}, all targets, one micro-batch of ${T} tokens per optimizer step, profile on (GPU waits between ` +
      'phases), median of the timed steps after one warm-up step on 32 tokens; peak = arena peak from before upload ' +
      'to after the last step; FLOPs = useful forward + backward work (no recomputation); fractionOfSameRunMatmul = ' +
      'step GFLOP/s over the best matmul (LM-head dX) timed in the same process right after the case',
    bestMatmul: best,
    seconds: (Date.now() - started) / 1000,
    rows,
  };
  await mkdir(dirname(fileURLToPath(RESULTS)), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(out, null, 2)}\n`);
  console.error(`wrote ${fileURLToPath(RESULTS)}`);
  ctx.destroy();
}

await main();
