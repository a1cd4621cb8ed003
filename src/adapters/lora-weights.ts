/**
 * A LoRA adapter in memory, independent of any file format: per layer and per adapted projection a pair
 * A [r, in] and B [out, r] (row-major f32), so the projection W [out, in] becomes W + scale·B·A; with DoRA
 * (config.useDora) also a magnitude m [out], and the row j becomes m_j·(W_j + scale·B_j·A)/‖W_j + scale·B_j·A‖. This is the value
 * the trainer fills, the exporters write (PEFT safetensors, llama.cpp GGUF) and the importers return.
 *
 * Two things about the base travel with it: a shape fingerprint (so an adapter is never attached to a model it
 * was not made for) and `rowLayout`, the order of the q/k output rows. GGUF llama/mistral bases store q/k rows
 * permuted for interleaved RoPE, and an adapter trained on such a base learns B in that same order; its q/k B rows
 * must be permuted back before the adapter means the same thing on an HF-layout base.
 */
import type { Architecture, ModelConfig, RopeLayout } from '../model/config';
import { LORA_TARGETS, loraScale, type LoraTarget } from '../model/lora-targets';
import { convertRowLayout } from './rope-permute';

/**
 * What an adapter knows of the base it was made for. `null` is "not recorded": an adapter read from another tool's
 * file carries only what its tensor shapes imply (hidden size from any target; the head counts never, as q's
 * output size is heads·headDim). numLayers is always known.
 */
export interface LoraBaseShape {
  architecture: Architecture | null;
  hiddenSize: number | null;
  intermediateSize: number | null;
  numLayers: number;
  numHeads: number | null;
  numKvHeads: number | null;
  headDim: number | null;
  vocabSize: number | null;
}

export interface LoraAdapterConfig {
  r: number;
  alpha: number;
  /** rsLoRA: scale alpha/√r instead of alpha/r. */
  useRslora: boolean;
  /** Training-time dropout on the adapter's input; recorded for the PEFT config, no effect on inference. */
  dropout: number;
  /** DoRA (PEFT's use_dora): every pair carries a magnitude. */
  useDora: boolean;
  /** In LORA_TARGETS order, no duplicates; every layer holds a pair for each. */
  targets: LoraTarget[];
  /** Name or path of the base model (PEFT's base_model_name_or_path). */
  baseModel: string;
  base: LoraBaseShape;
}

export interface LoraPair {
  inFeatures: number;
  outFeatures: number;
  /** [r, inFeatures], row-major. */
  a: Float32Array;
  /** [outFeatures, r], row-major. */
  b: Float32Array;
  /** DoRA's magnitude [outFeatures], in the same row order as B; present exactly when config.useDora. */
  magnitude?: Float32Array;
}

export type LoraLayer = Partial<Record<LoraTarget, LoraPair>>;

export interface LoraAdapter {
  config: LoraAdapterConfig;
  /** layers[l][target]; length config.base.numLayers. */
  layers: LoraLayer[];
  /** Row order of q/k lora B (the RoPE layout of the base it was trained on); other targets have no such order. */
  rowLayout: RopeLayout;
}

/** The adapter's output scale (src/model/lora-targets.ts's loraScale, in the adapter config's PEFT field names). */
export function adapterScale(config: Pick<LoraAdapterConfig, 'r' | 'alpha' | 'useRslora'>): number {
  return loraScale({ rank: config.r, alpha: config.alpha, rsLora: config.useRslora });
}

/** The full fingerprint of a loaded base. */
export function baseShapeOf(c: ModelConfig): LoraBaseShape {
  return {
    architecture: c.architecture,
    hiddenSize: c.hiddenSize,
    intermediateSize: c.intermediateSize,
    numLayers: c.numLayers,
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    vocabSize: c.vocabSize,
  };
}

/** The base dimension each side of a projection has: q's output is heads·headDim, k/v's kvHeads·headDim. */
export type BaseDim = 'hidden' | 'intermediate' | 'qOut' | 'kvOut';
export const TARGET_DIMS: Readonly<Record<LoraTarget, { out: BaseDim; in: BaseDim }>> = {
  q: { out: 'qOut', in: 'hidden' },
  k: { out: 'kvOut', in: 'hidden' },
  v: { out: 'kvOut', in: 'hidden' },
  o: { out: 'hidden', in: 'qOut' },
  gate: { out: 'intermediate', in: 'hidden' },
  up: { out: 'intermediate', in: 'hidden' },
  down: { out: 'hidden', in: 'intermediate' },
};

/** A base dimension's size, or null where the fingerprint does not record it. */
export function baseDim(base: LoraBaseShape, dim: BaseDim): number | null {
  const heads = (n: number | null) => (n !== null && base.headDim !== null ? n * base.headDim : null);
  if (dim === 'hidden') return base.hiddenSize;
  if (dim === 'intermediate') return base.intermediateSize;
  return heads(dim === 'qOut' ? base.numHeads : base.numKvHeads);
}

/** [out, in] of a target's projection (null where unrecorded). */
export function targetDims(base: LoraBaseShape, target: LoraTarget): { out: number | null; in: number | null } {
  return { out: baseDim(base, TARGET_DIMS[target].out), in: baseDim(base, TARGET_DIMS[target].in) };
}

/** Throws a RangeError naming the first problem: bad r/alpha/targets, or a pair whose sizes disagree. */
export function validateLoraAdapter(adapter: LoraAdapter): void {
  const { config: c, layers } = adapter;
  const fail = (problem: string): never => {
    throw new RangeError(`LoRA adapter for '${c.baseModel}': ${problem}`);
  };
  if (!Number.isSafeInteger(c.r) || c.r <= 0) fail(`r is ${c.r}, expected a positive integer`);
  // llama.cpp reads alpha 0 as "no alpha" (scale 1), so a zero alpha could not be exported faithfully.
  if (!(c.alpha > 0) || !Number.isFinite(c.alpha)) fail(`alpha is ${c.alpha}, expected a positive number`);
  if (!(c.dropout >= 0 && c.dropout < 1)) fail(`dropout is ${c.dropout}, expected 0 <= dropout < 1`);
  if (c.targets.length === 0) fail('has no targets');
  const ordered = LORA_TARGETS.filter((t) => c.targets.includes(t));
  if (ordered.length !== c.targets.length || ordered.some((t, i) => t !== c.targets[i])) {
    fail(`targets [${c.targets.join(', ')}] must be distinct and in the order ${LORA_TARGETS.join(', ')}`);
  }
  if (layers.length !== c.base.numLayers) fail(`has ${layers.length} layers but the base has ${c.base.numLayers}`);
  layers.forEach((layer, l) => {
    const extra = Object.keys(layer).filter((t) => !c.targets.includes(t as LoraTarget));
    if (extra.length) fail(`layer ${l} holds ${extra.join(', ')}, which is not a target`);
    for (const t of c.targets) {
      const p = layer[t] ?? fail(`layer ${l} has no '${t}' pair`);
      const dims = targetDims(c.base, t);
      if ((dims.in !== null && p.inFeatures !== dims.in) || (dims.out !== null && p.outFeatures !== dims.out)) {
        fail(`layer ${l} '${t}' is [${p.outFeatures}, ${p.inFeatures}] but the base implies [${dims.out}, ${dims.in}]`);
      }
      if (p.a.length !== c.r * p.inFeatures) fail(`layer ${l} '${t}' A has ${p.a.length} values, [${c.r}, ${p.inFeatures}] needs ${c.r * p.inFeatures}`);
      if (p.b.length !== p.outFeatures * c.r) fail(`layer ${l} '${t}' B has ${p.b.length} values, [${p.outFeatures}, ${c.r}] needs ${p.outFeatures * c.r}`);
      if (c.useDora && p.magnitude?.length !== p.outFeatures) {
        fail(`layer ${l} '${t}' needs a DoRA magnitude of ${p.outFeatures} values, has ${p.magnitude?.length ?? 'none'}`);
      }
      if (!c.useDora && p.magnitude) fail(`layer ${l} '${t}' has a DoRA magnitude but the adapter is not DoRA`);
    }
  });
}

/**
 * An adapter with every pair allocated (zeros unless `fill` writes them). Needs a base fingerprint with every
 * dimension the targets use.
 */
export function createLoraAdapter(
  config: LoraAdapterConfig,
  rowLayout: RopeLayout,
  fill?: (pair: LoraPair, target: LoraTarget, layer: number) => void,
): LoraAdapter {
  const layers: LoraLayer[] = [];
  for (let l = 0; l < config.base.numLayers; l++) {
    const layer: LoraLayer = {};
    for (const t of config.targets) {
      const d = targetDims(config.base, t);
      if (d.in === null || d.out === null) throw new RangeError(`createLoraAdapter: the base fingerprint lacks the size of '${t}'`);
      const pair: LoraPair = { inFeatures: d.in, outFeatures: d.out, a: new Float32Array(config.r * d.in), b: new Float32Array(d.out * config.r) };
      if (config.useDora) pair.magnitude = new Float32Array(d.out);
      fill?.(pair, t, l);
      layer[t] = pair;
    }
    layers.push(layer);
  }
  const adapter = { config: { ...config, targets: [...config.targets] }, layers, rowLayout };
  validateLoraAdapter(adapter);
  return adapter;
}

/**
 * The same adapter with q/k B rows (and DoRA magnitudes) in `layout` (pairs are shared, only the permuted arrays are new). Head counts
 * come from the fingerprint, or from `heads` (the base being attached to) when the file did not record them.
 */
export function withRowLayout(
  adapter: LoraAdapter,
  layout: RopeLayout,
  heads?: { numHeads: number; numKvHeads: number },
): LoraAdapter {
  if (adapter.rowLayout === layout) return adapter;
  const { targets, base, r } = adapter.config;
  const numHeads = heads?.numHeads ?? base.numHeads;
  const numKvHeads = heads?.numKvHeads ?? base.numKvHeads;
  const touched = targets.filter((t) => t === 'q' || t === 'k');
  if (touched.length && (numHeads === null || numKvHeads === null)) {
    throw new RangeError(
      `LoRA adapter for '${adapter.config.baseModel}': cannot reorder q/k rows from ${adapter.rowLayout} to ${layout} ` +
        'without the head counts (the file does not record them; give the base model)',
    );
  }
  const layers = adapter.layers.map((layer) => {
    const out: LoraLayer = { ...layer };
    for (const t of touched) {
      const p = layer[t]!;
      const n = t === 'q' ? numHeads! : numKvHeads!;
      out[t] = {
        ...p,
        b: convertRowLayout(p.b, n, r, adapter.rowLayout, layout),
        // A magnitude is one value per row: its rows move with B's.
        ...(p.magnitude ? { magnitude: convertRowLayout(p.magnitude, n, 1, adapter.rowLayout, layout) } : {}),
      };
    }
    return out;
  });
  return { config: adapter.config, layers, rowLayout: layout };
}
