/**
 * A layer's projections with an adapter's weights: an Ia3Linear where it has an IA³ vector, a DoraLinear where a
 * LoRA pair carries a DoRA magnitude, a LoraLinear (with its pair, or bare) elsewhere. The trainers make these
 * once over their parameter views, the loss evaluator over its adapter; LlamaModel swaps them when its adapter
 * changes.
 */
import { LORA_TARGETS, type LoraTarget } from '../../model/lora-targets';
import type { GpuLayerWeights } from '../model/weights';
import { Ia3Linear } from './ia3-linear';
import { isIa3, type AdaptedLinear, type InferenceAdapter, type LayerProjections } from './adapted-linear';
import { DoraLinear } from './dora-linear';
import { LoraLinear } from './lora-linear';

export function adaptedProjections(layer: GpuLayerWeights, adapter: InferenceAdapter['layers'][number] = {}): LayerProjections {
  const entries = LORA_TARGETS.map((target): [LoraTarget, AdaptedLinear] => {
    const w = adapter[target];
    if (w && isIa3(w)) return [target, new Ia3Linear(layer[target], w)];
    if (w?.dora) return [target, new DoraLinear(layer[target], w)];
    return [target, new LoraLinear(layer[target], w ?? null)];
  });
  return Object.fromEntries(entries) as LayerProjections;
}
