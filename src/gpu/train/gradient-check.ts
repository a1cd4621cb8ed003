/**
 * Gradient check of the LoRA trainer (test support): the GPU's hand-written backward against central finite
 * differences of the float64 CPU reference loss (src/model/reference-lora.ts), on sampled entries of every adapted
 * A and B and on random directions through all of them (a check of the whole gradient vector).
 */
import { referenceLoraLoss, type HostLayerAdapters, type HostLoraAdapter } from '../../model/reference-lora';
import type { HostWeights } from '../../model/reference-forward';
import type { ModelConfig } from '../../model/config';
import type { TokenBatch } from '../../data/batch-types';
import { finiteDifference } from '../testing/compare';
import { mulberry32 } from '../testing/random';
import type { LoraTrainer } from './lora-trainer';
import { hostAdapters } from './train-testing';
import type { AdapterMatrices } from './types';

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

/** Gives every B nonzero values in [−scale, scale) (PEFT starts B at 0, which would make every dA zero). */
export function randomizeB(matrices: readonly AdapterMatrices[], seed: number, scale = 0.1): AdapterMatrices[] {
  const next = mulberry32(seed);
  return matrices.map((m) => ({ ...m, b: Float32Array.from(m.b, () => (next() * 2 - 1) * scale) }));
}

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
  const adapters = hostAdapters(weights, scale, config.numLayers);
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
    for (const which of ['a', 'b'] as const) {
      const values = ad[which] as Float64Array;
      const g = gradOf(m.layer, m.target)[which];
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
      da: Float64Array.from(m.a, () => rand() * 2 - 1),
      db: Float64Array.from(m.b, () => rand() * 2 - 1),
    }));
    // A unit direction, so the finite-difference step is h in parameter space whatever the adapter count.
    const length = Math.sqrt(raw.reduce((s, { da, db }) => s + da.reduce((t, x) => t + x * x, 0) + db.reduce((t, x) => t + x * x, 0), 0));
    let predicted = 0;
    const dirs = raw.map(({ m, da, db }) => {
      const g = gradOf(m.layer, m.target);
      da.forEach((d, i) => (predicted += (da[i] = d / length) * g.a[i]));
      db.forEach((d, i) => (predicted += (db[i] = d / length) * g.b[i]));
      return { m, da, db };
    });
    const shifted = (sign: number) => {
      const ads = hostAdapters(weights, scale, config.numLayers);
      for (const { m, da, db } of dirs) {
        const ad = ads[m.layer][m.target] as HostLoraAdapter;
        const a = ad.a as Float64Array;
        const b = ad.b as Float64Array;
        da.forEach((d, i) => (a[i] += sign * h * d));
        db.forEach((d, i) => (b[i] += sign * h * d));
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
