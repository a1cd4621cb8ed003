/**
 * The trainer's LoRA state as an adapter object: the training loop reads A [r, in] and B [out, r] of every adapted
 * projection back from the GPU (its parameter block) and hands them here, with its settings and the base, to get a
 * LoraAdapter that the exporters write and `generate --adapter` applies. B rows are in the base's own q/k layout,
 * which is what training on that base produces; the exporters reorder them per format.
 */
import type { LoraSettings } from '../gpu/lora/lora-linear';
import type { ModelConfig } from '../model/config';
import { baseShapeOf, createLoraAdapter, LORA_TARGETS, type LoraAdapter, type LoraTarget } from './lora-weights';

export interface TrainedPair {
  a: Float32Array; // [r, in]
  b: Float32Array; // [out, r]
}

/**
 * Copies each pair into a new adapter, checking every size against the base. `baseModel` is what PEFT records as
 * base_model_name_or_path (a Hub id or the file's name).
 */
export function adapterFromTrainer(
  settings: Pick<LoraSettings, 'rank' | 'alpha' | 'rsLora' | 'targets'> & { dropout?: number },
  base: { config: ModelConfig; name: string },
  pairOf: (layer: number, target: LoraTarget) => TrainedPair,
): LoraAdapter {
  const targets = LORA_TARGETS.filter((t) => settings.targets.includes(t));
  return createLoraAdapter(
    {
      r: settings.rank,
      alpha: settings.alpha,
      useRslora: settings.rsLora,
      dropout: settings.dropout ?? 0,
      targets,
      baseModel: base.name,
      base: baseShapeOf(base.config),
    },
    base.config.ropeLayout,
    (pair, target, layer) => {
      const trained = pairOf(layer, target);
      if (trained.a.length !== pair.a.length || trained.b.length !== pair.b.length) {
        throw new RangeError(
          `adapterFromTrainer: layer ${layer} '${target}' has A ${trained.a.length} and B ${trained.b.length} values; ` +
            `[${settings.rank}, ${pair.inFeatures}] and [${pair.outFeatures}, ${settings.rank}] need ${pair.a.length} and ${pair.b.length}`,
        );
      }
      pair.a.set(trained.a);
      pair.b.set(trained.b);
    },
  );
}
