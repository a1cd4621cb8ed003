/**
 * An IA³ adapter in memory (Liu et al. 2022, PEFT's IA3), independent of any file format: per layer and per
 * targeted projection one vector l, over the projection's output features (y = (x·Wᵀ + b) ⊙ l) or, for a
 * feed-forward module, its input features (y = (x ⊙ l)·Wᵀ + b). What the trainer fills, the PEFT exporter writes
 * and the importer returns. As for LoRA (lora-weights.ts), the base's fingerprint travels with it, and
 * `rowLayout` is the order of q/k output features (an output-side q or k vector is permuted like a LoRA's B rows).
 */
import type { RopeLayout } from '../model/config';
import { LORA_TARGETS, type LoraTarget } from '../model/lora-targets';
import { type LoraBaseShape, targetDims } from './lora-weights';
import { convertRowLayout } from './rope-permute';

export interface Ia3AdapterConfig {
  /** In LORA_TARGETS order, no duplicates; every layer holds a vector for each. */
  targets: LoraTarget[];
  /** The targets scaled on their input (PEFT's feedforward_modules), a subset of `targets`. */
  feedforward: LoraTarget[];
  /** Name or path of the base model (PEFT's base_model_name_or_path). */
  baseModel: string;
  base: LoraBaseShape;
}

export interface Ia3Adapter {
  config: Ia3AdapterConfig;
  /** layers[l][target]: [out] on the output side, [in] for a feed-forward module. */
  layers: Partial<Record<LoraTarget, Float32Array>>[];
  rowLayout: RopeLayout;
}

export function ia3Side(config: Pick<Ia3AdapterConfig, 'feedforward'>, target: LoraTarget): 'output' | 'input' {
  return config.feedforward.includes(target) ? 'input' : 'output';
}

/** Refuses an adapter whose targets, layers or vector sizes do not hold together, naming what is wrong. */
export function validateIa3Adapter(adapter: Ia3Adapter): void {
  const { config, layers } = adapter;
  const fail = (problem: string): never => {
    throw new RangeError(`IA³ adapter for '${config.baseModel}': ${problem}`);
  };
  if (config.targets.length === 0) fail('it scales no projection');
  for (const t of config.targets) if (!LORA_TARGETS.includes(t)) fail(`unknown target '${t}'`);
  for (const f of config.feedforward) if (!config.targets.includes(f)) fail(`feed-forward module '${f}' is not a target`);
  if (layers.length !== config.base.numLayers) fail(`${layers.length} layers, but its base has ${config.base.numLayers}`);
  layers.forEach((layer, l) => {
    for (const t of config.targets) {
      const v = layer[t];
      if (!v) fail(`layer ${l} has no vector for '${t}'`);
      const dims = targetDims(config.base, t);
      const width = ia3Side(config, t) === 'input' ? dims.in : dims.out;
      if (width !== null && v!.length !== width) fail(`layer ${l} '${t}' has ${v!.length} values, its ${ia3Side(config, t)} ${width}`);
      if (!v!.every(Number.isFinite)) fail(`layer ${l} '${t}' holds a value that is not finite`);
    }
  });
}

/** The same adapter with q/k output vectors in `layout` (a copy when it changes anything). */
export function ia3WithRowLayout(adapter: Ia3Adapter, layout: RopeLayout, heads: { numHeads: number; numKvHeads: number }): Ia3Adapter {
  if (adapter.rowLayout === layout) return adapter;
  const layers = adapter.layers.map((layer) => {
    const out = { ...layer };
    for (const t of ['q', 'k'] as const) {
      const v = layer[t];
      if (!v || ia3Side(adapter.config, t) === 'input') continue;
      out[t] = convertRowLayout(v, t === 'q' ? heads.numHeads : heads.numKvHeads, 1, adapter.rowLayout, layout);
    }
    return out;
  });
  return { ...adapter, layers, rowLayout: layout };
}
