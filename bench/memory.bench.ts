/**
 * Memory benchmark (issue 12, item 5): what a LoRA run needs on the GPU, for real models' configurations.
 *
 *  1. Estimates (src/train/memory-estimate.ts) at rank 16, all seven targets, 1 × 512 tokens, checkpointing on,
 *     for SmolLM2-135M/360M, Qwen2.5-0.5B/1.5B, Llama-3.2-1B/3B and Llama-3.1-8B (bench/memory-models.ts), with
 *     the base as a 16-bit checkpoint (BF16), a Q8_0 GGUF (llama.cpp quantizes the embedding too) and NF4 (QLoRA
 *     on the BF16 checkpoint), each now and as the engine placed it before (16-bit weights widened to f32, the
 *     embedding and an untied head as f32 copies).
 *  2. Measured: synthetic models of SmolLM2-135M's, Qwen2.5-0.5B's and Llama-3.2-1B's shapes (random BF16
 *     weights; NF4 too with BENCH_NF4=1) uploaded and one training step taken at BENCH_TOKENS tokens (default 16,
 *     SwiftShader is slow), the allocator's peak next to the estimate for the same settings and the same base.
 *
 * Run: npm run bench:memory. BENCH_ONLY=estimates|measured runs one part; BENCH_RESULTS another output path
 * (default bench/results/memory.json, which keeps the part a run did not measure).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TokenBatch } from '../src/data/batch-types';
import { GpuContext } from '../src/gpu/context';
import { acquireNodeDevice } from '../src/gpu/device-node';
import { releaseModel, uploadModel } from '../src/gpu/model/upload';
import { LoraTrainer } from '../src/gpu/train/lora-trainer';
import { configFromHf, type ModelConfig } from '../src/model/config';
import { LORA_TARGETS } from '../src/model/lora-targets';
import { type BaseStorage, baseStorage, type Quantize } from '../src/model/quant/storage';
import { estimateTrainingMemory, formatBytes } from '../src/train/memory-estimate';
import { MEMORY_MODELS } from './memory-models';
import { syntheticModelWeights, withFloat16 } from './synthetic-model';

const RESULTS = process.env.BENCH_RESULTS ?? fileURLToPath(new URL('./results/memory.json', import.meta.url));
const ONLY = process.env.BENCH_ONLY;
const RANK = 16;
const GIB = 2 ** 30;
/** The binding size most desktop adapters grant (parts of big weights are cut to it). */
const BINDING = GIB;

type Base = '16-bit' | 'Q8_0' | 'NF4';

/** Where each weight sits now (model/quant/storage.ts's rules, for a file of that kind) and as it did before. */
function storages(config: ModelConfig, base: Base): { now: BaseStorage; before: BaseStorage } {
  const tied = config.tiedEmbeddings;
  const stored = base === 'Q8_0' ? 'q8_0' : 'bf16';
  const linears = base === 'NF4' ? 'nf4' : stored;
  return {
    now: { linears, embedding: tied ? stored : 'host', head: tied ? null : linears },
    before: { linears: base === '16-bit' ? 'f32' : linears, embedding: 'f32', head: tied ? null : 'f32' },
  };
}

function estimate(config: ModelConfig, storage: BaseStorage, maxTokens: number, maxBindingBytes = BINDING) {
  return estimateTrainingMemory({
    config,
    storage,
    rank: RANK,
    targets: LORA_TARGETS,
    maxTokens,
    checkpointing: true,
    dropout: false,
    maxBindingBytes,
  });
}

function estimatesPart() {
  const rows = [];
  for (const m of MEMORY_MODELS) {
    const config = configFromHf(m.config, `${m.repo}/config.json`);
    for (const base of ['16-bit', 'Q8_0', 'NF4'] as Base[]) {
      const { now, before } = storages(config, base);
      const e = estimate(config, now, 512);
      const b = estimate(config, before, 512);
      rows.push({
        model: m.name,
        repo: m.repo,
        base,
        storage: now,
        totalBytes: e.totalBytes,
        weightBytes: e.weightBytes,
        adapterBytes: e.adapterBytes,
        activationBytes: e.activationBytes,
        scratchBytes: e.scratchBytes,
        beforeTotalBytes: b.totalBytes,
        beforeWeightBytes: b.weightBytes,
      });
    }
  }
  const gib = (n: number) => (n / GIB).toFixed(2);
  console.log('| model | base | now: total GiB (weights) | before: total GiB (weights) |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.base} | ${gib(r.totalBytes)} (${gib(r.weightBytes)}) | ${gib(r.beforeTotalBytes)} (${gib(r.beforeWeightBytes)}) |`);
  }
  return { settings: { rank: RANK, targets: 'all seven', tokens: '1 × 512', checkpointing: true, maxBindingBytes: BINDING }, rows };
}

function syntheticBatch(t: number, vocab: number): TokenBatch {
  let s = 12345;
  const tokens = new Uint32Array(t).map(() => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return 3 + (s % (vocab - 3));
  });
  return {
    tokens,
    targets: new Int32Array(t).map((_, i) => (i + 1 < t ? tokens[i + 1] : -1)),
    positions: new Uint32Array(t).map((_, i) => i),
    seqStart: new Uint32Array(t),
    sequences: 1,
    trainedTokens: t - 1,
  } as TokenBatch;
}

async function measuredPart() {
  const ctx = GpuContext.fromAcquired(await acquireNodeDevice());
  const tokens = Number(process.env.BENCH_TOKENS ?? 16);
  const quants: Quantize[] = process.env.BENCH_NF4 === '1' ? ['none', 'nf4'] : ['none'];
  const rows = [];
  for (const name of ['SmolLM2-135M', 'Qwen2.5-0.5B', 'Llama-3.2-1B']) {
    const m = MEMORY_MODELS.find((x) => x.name === name)!;
    const config = configFromHf(m.config, `${m.repo}/config.json`);
    for (const quant of quants) {
      const weights = withFloat16(syntheticModelWeights(config, { seed: 1 }), 'BF16');
      const started = performance.now();
      ctx.arena.trim();
      const before = ctx.memory.reservedBytes;
      ctx.arena.resetPeak();
      const up = await uploadModel(ctx, weights, { quantize: quant });
      const trainer = new LoraTrainer(ctx, up, {
        lora: { rank: RANK, alpha: 2 * RANK, rsLora: false, targets: [...LORA_TARGETS] },
        dropout: 0,
        maxTokens: tokens,
        checkpointing: true,
        seed: 1,
      });
      const batch = syntheticBatch(tokens, config.vocabSize);
      await trainer.accumulate(batch);
      const step = await trainer.step({ learningRate: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1, loraPlusRatio: 1 });
      const measured = ctx.memory.peakBytes - before;
      trainer.dispose();
      releaseModel(ctx, up);
      const storage = baseStorage(weights, quant);
      const e = estimate(config, storage, tokens, ctx.maxBindingBytes);
      const row = {
        model: `${name}-shaped (synthetic BF16${quant === 'nf4' ? ' → NF4' : ''})`,
        tokens,
        storage,
        measuredPeakBytes: measured,
        estimateBytes: e.totalBytes,
        ratio: e.totalBytes / measured,
        loss: step.loss,
        seconds: (performance.now() - started) / 1000,
      };
      console.log(`${row.model}: measured ${formatBytes(measured)}, estimate ${formatBytes(e.totalBytes)} (${((row.ratio - 1) * 100).toFixed(1)}%), ${row.seconds.toFixed(0)} s`);
      rows.push(row);
    }
  }
  return { device: ctx.device.adapterInfo?.description ?? 'unknown', rows };
}

async function main() {
  const out: Record<string, unknown> = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
  out.date = new Date().toISOString();
  if (!ONLY || ONLY === 'estimates') out.estimates = estimatesPart();
  if (!ONLY || ONLY === 'measured') out.measured = await measuredPart();
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`written ${RESULTS}`);
  process.exit(0);
}

await main();
