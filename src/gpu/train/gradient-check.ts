/**
 * Gradient check of the LoRA trainer (test support): the GPU's hand-written backward against central finite
 * differences of the float64 CPU reference loss (src/model/reference-lora.ts), on sampled entries of every adapted
 * A and B (and DoRA magnitude) and on random directions through all of them (a check of the whole gradient vector).
 * DoRA's row norms are held at the step's values in the reference, as the trained gradient detaches them.
 */
import { referenceLoraLoss, type HostLayerAdapters, type HostLoraAdapter } from '../../model/reference-lora';
import type { HostWeights } from '../../model/reference-forward';
import type { ModelConfig } from '../../model/config';
import type { TokenBatch } from '../../data/batch-types';
import { finiteDifference } from '../testing/compare';
import { mulberry32 } from '../testing/random';
import { readHostWeights } from '../../model/host-weights';
import type { ModelWeights } from '../../model/tensor-map';
import { releaseModel, uploadModel, type UploadOptions } from '../model/upload';
import { testContext } from '../testing/gpu';
import { LoraTrainer } from './lora-trainer';
import { hostAdapters } from './train-testing';
import type { AdapterMatrices, TrainerOptions } from './types';

export interface GradientCheckReport {
  /** ‖g − fd‖ / ‖fd‖ over the sampled entries. */
  sampledRelative: number;
  /** Largest |g − fd| / |fd| among sampled entries with |fd| ≥ 1% of the largest sampled |fd|. */
  worstEntryRelative: number;
  /** Largest |g·d − fd_d| / |fd_d| over the random directions d. */
  directionalRelative: number;
  entries: number;
  /** GPU mean loss vs CPU mean loss, relative. */
  lossRelative: number;
}

/**
 * Gives every B nonzero values in [−scale, scale) (PEFT starts B at 0, which would make every dA zero), and moves
 * a DoRA magnitude by up to ±30% so that it no longer equals the row norms.
 */
export function randomizeB(matrices: readonly AdapterMatrices[], seed: number, scale = 0.1): AdapterMatrices[] {
  const next = mulberry32(seed);
  return matrices.map((m) => ({
    ...m,
    b: Float32Array.from(m.b, () => (next() * 2 - 1) * scale),
    ...(m.magnitude ? { magnitude: Float32Array.from(m.magnitude, (x) => x * (0.7 + 0.6 * next())) } : {}),
  }));
}

/** The trained parts of an adapted projection: A and B, and a DoRA magnitude. */
const partsOf = (m: AdapterMatrices) => (m.magnitude ? (['a', 'b', 'magnitude'] as const) : (['a', 'b'] as const));

export async function checkGradients(
  trainer: LoraTrainer,
  config: ModelConfig,
  host: HostWeights,
  invFreq: Float32Array | undefined,
  batch: TokenBatch,
  options: { perMatrix: number; directions: number; seed: number; h?: number },
): Promise<GradientCheckReport> {
  const h = options.h ?? 1e-3;
  const weights = randomizeB(await trainer.adapterWeights(), options.seed);
  trainer.setAdapterWeights(weights);
  const scale = trainer.loraScale;
  const adapters = hostAdapters(weights, scale, config.numLayers, host);
  const meanLoss = (ads: HostLayerAdapters[]) => {
    const r = referenceLoraLoss(config, host, ads, batch, invFreq);
    return r.lossSum / r.trainedTokens;
  };
  const evalGpu = await trainer.evaluate(batch);
  const cpuLoss = meanLoss(adapters);
  const lossRelative = Math.abs(evalGpu.lossSum / evalGpu.trainedTokens - cpuLoss) / Math.abs(cpuLoss);

  await trainer.accumulate(batch);
  const grads = await trainer.adapterGradients();
  const gradOf = (layer: number, target: string) => grads.find((g) => g.layer === layer && g.target === target)!;

  // Sampled entries of every A and B.
  const next = mulberry32(options.seed + 1);
  const gs: number[] = [];
  const fds: number[] = [];
  for (const m of weights) {
    const ad = adapters[m.layer][m.target] as HostLoraAdapter;
    for (const which of partsOf(m)) {
      const values = ad[which] as Float64Array;
      const g = gradOf(m.layer, m.target)[which]!;
      const sampled = Array.from({ length: options.perMatrix }, () => Math.floor(next() * values.length));
      // The probe stands in for this matrix while the reference runs; the others keep their values.
      const fd = finiteDifference(
        (probe) => {
          ad[which] = probe;
          return meanLoss(adapters);
        },
        values,
        h,
        sampled,
      );
      ad[which] = values;
      for (const i of sampled) {
        gs.push(g[i]);
        fds.push(fd[i]);
      }
    }
  }
  let diff = 0;
  let norm = 0;
  const largest = Math.max(...fds.map(Math.abs));
  let worstEntryRelative = 0;
  gs.forEach((g, i) => {
    diff += (g - fds[i]) ** 2;
    norm += fds[i] ** 2;
    if (Math.abs(fds[i]) >= 0.01 * largest) {
      worstEntryRelative = Math.max(worstEntryRelative, Math.abs(g - fds[i]) / Math.abs(fds[i]));
    }
  });

  // Random directions through every adapter entry at once.
  let directionalRelative = 0;
  for (let k = 0; k < options.directions; k++) {
    const rand = mulberry32(options.seed + 100 + k);
    const raw = weights.map((m) => ({
      m,
      parts: partsOf(m).map((which) => ({ which, d: Float64Array.from(m[which]!, () => rand() * 2 - 1) })),
    }));
    // A unit direction, so the finite-difference step is h in parameter space whatever the adapter count.
    const length = Math.sqrt(raw.reduce((s, { parts }) => s + parts.reduce((t, { d }) => t + d.reduce((u, x) => u + x * x, 0), 0), 0));
    let predicted = 0;
    for (const { m, parts } of raw) {
      const g = gradOf(m.layer, m.target);
      for (const { which, d } of parts) d.forEach((x, i) => (predicted += (d[i] = x / length) * g[which]![i]));
    }
    const shifted = (sign: number) => {
      // The norms stay those of the unshifted matrices (hostAdapters computes them before the shift).
      const ads = hostAdapters(weights, scale, config.numLayers, host);
      for (const { m, parts } of raw) {
        const ad = ads[m.layer][m.target] as HostLoraAdapter;
        for (const { which, d } of parts) {
          const values = ad[which] as Float64Array;
          d.forEach((x, i) => (values[i] += sign * h * x));
        }
      }
      return meanLoss(ads);
    };
    const fd = (shifted(1) - shifted(-1)) / (2 * h);
    directionalRelative = Math.max(directionalRelative, Math.abs(predicted - fd) / Math.abs(fd));
  }
  return {
    sampledRelative: Math.sqrt(diff / norm),
    worstEntryRelative,
    directionalRelative,
    entries: gs.length,
    lossRelative,
  };
}

/** checkGradients on a fresh trainer over `weights` uploaded as `upload` says, the reference over `hostOf`'s weights. */
export async function checkModelGradients(
  weights: ModelWeights,
  options: TrainerOptions,
  batch: TokenBatch,
  label: string,
  fd: { perMatrix: number; directions: number; seed: number },
  upload: UploadOptions = {},
  hostOf: (h: HostWeights) => HostWeights = (h) => h,
): Promise<GradientCheckReport> {
  const ctx = await testContext();
  const up = await uploadModel(ctx, weights, upload);
  const trainer = new LoraTrainer(ctx, up, options);
  const host = hostOf(await readHostWeights(weights.config, weights));
  const report = await checkGradients(trainer, weights.config, host, up.invFreq, batch, fd);
  console.log(`${label} gradient check`, report);
  trainer.dispose();
  releaseModel(ctx, up);
  return report;
}
