/**
 * The trainer's LoRA state as an adapter object: the training loop reads A [r, in] and B [out, r] (and DoRA's m [out]) of every adapted
 * projection back from the GPU (its parameter block, `LoraTrainer.adapterWeights`) and hands them here, with its
 * settings and the base, to get a LoraAdapter that the exporters write and `generate --adapter` applies. B rows
 * are in the base's own q/k layout, which is what training on that base produces; the exporters reorder them per
 * format. The one conversion from the trainer's matrices to an adapter (inference during a run reads the
 * trainer's GPU views directly, `LoraTrainer.adapterView`).
 */
import type { AdapterMatrices } from '../gpu/train/types';
import type { ModelConfig } from '../model/config';
import type { Ia3VectorCopy } from '../gpu/train/types';
import { LORA_TARGETS, type Ia3Settings, type LoraSettings, type LoraTarget } from '../model/lora-targets';
import { validateIa3Adapter, type Ia3Adapter } from './ia3-weights';
import { baseShapeOf, createLoraAdapter, type LoraAdapter } from './lora-weights';
import { type PromptAdapter, type PromptAdapterConfig, validatePromptAdapter } from './prompt-weights';

/**
 * Copies each pair into a new adapter, checking every size against the base. `baseModel` is what PEFT records as
 * base_model_name_or_path (a Hub id or the file's name).
 */
export function adapterFromTrainer(
  settings: Pick<LoraSettings, 'rank' | 'alpha' | 'rsLora' | 'targets' | 'dora'> & { dropout?: number },
  base: { config: ModelConfig; name: string },
  matrices: readonly Pick<AdapterMatrices, 'layer' | 'target' | 'a' | 'b' | 'magnitude'>[],
): LoraAdapter {
  const targets = LORA_TARGETS.filter((t) => settings.targets.includes(t));
  const byKey = new Map(matrices.map((m) => [`${m.layer}.${m.target}`, m]));
  return createLoraAdapter(
    {
      r: settings.rank,
      alpha: settings.alpha,
      useRslora: settings.rsLora,
      dropout: settings.dropout ?? 0,
      useDora: settings.dora ?? false,
      targets,
      baseModel: base.name,
      base: baseShapeOf(base.config),
    },
    base.config.ropeLayout,
    (pair, target, layer) => {
      const trained = byKey.get(`${layer}.${target}`);
      if (!trained) throw new RangeError(`adapterFromTrainer: the trainer has no adapter for layer ${layer} '${target}'`);
      if (trained.a.length !== pair.a.length || trained.b.length !== pair.b.length) {
        throw new RangeError(
          `adapterFromTrainer: layer ${layer} '${target}' has A ${trained.a.length} and B ${trained.b.length} values; ` +
            `[${settings.rank}, ${pair.inFeatures}] and [${pair.outFeatures}, ${settings.rank}] need ${pair.a.length} and ${pair.b.length}`,
        );
      }
      pair.a.set(trained.a);
      pair.b.set(trained.b);
      if (pair.magnitude) {
        if (trained.magnitude?.length !== pair.magnitude.length) {
          throw new RangeError(`adapterFromTrainer: layer ${layer} '${target}' needs a DoRA magnitude of ${pair.magnitude.length} values`);
        }
        pair.magnitude.set(trained.magnitude);
      }
    },
  );
}

/** The trainer's prompt [P·C] (`LoraTrainer.promptEmbeddings`) as an adapter, with how it was started. */
export function promptAdapterFromTrainer(
  start: { virtualTokens: number; init: PromptAdapterConfig['init']; text: string | null },
  base: { config: ModelConfig; name: string },
  embeddings: Float32Array,
): PromptAdapter {
  const adapter: PromptAdapter = {
    config: {
      virtualTokens: start.virtualTokens,
      tokenDim: base.config.hiddenSize,
      init: start.init,
      initText: start.text,
      baseModel: base.name,
      base: baseShapeOf(base.config),
    },
    embeddings: Float32Array.from(embeddings),
  };
  validatePromptAdapter(adapter);
  return adapter;
}

/** The trainer's IA³ vectors (`LoraTrainer.ia3Vectors`) as an adapter, each size checked against the base. */
export function ia3AdapterFromTrainer(
  settings: Ia3Settings,
  base: { config: ModelConfig; name: string },
  vectors: readonly Pick<Ia3VectorCopy, 'layer' | 'target' | 'l'>[],
): Ia3Adapter {
  const targets = LORA_TARGETS.filter((t) => settings.targets.includes(t));
  const byKey = new Map(vectors.map((v) => [`${v.layer}.${v.target}`, v.l]));
  const layers = Array.from({ length: base.config.numLayers }, (_, layer) => {
    const out: Partial<Record<LoraTarget, Float32Array>> = {};
    for (const t of targets) {
      const l = byKey.get(`${layer}.${t}`);
      if (!l) throw new RangeError(`ia3AdapterFromTrainer: the trainer has no IA³ vector for layer ${layer} '${t}'`);
      out[t] = Float32Array.from(l);
    }
    return out;
  });
  const adapter: Ia3Adapter = {
    config: { targets, feedforward: LORA_TARGETS.filter((t) => settings.feedforward.includes(t)), baseModel: base.name, base: baseShapeOf(base.config) },
    layers,
    rowLayout: base.config.ropeLayout,
  };
  validateIa3Adapter(adapter);
  return adapter;
}
