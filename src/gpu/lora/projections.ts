/**
 * A layer's projections with an inference adapter's weights: an Ia3Linear where the adapter has an IA³ vector, a
 * LoraLinear (with its pair, or bare) elsewhere. The loss evaluator makes these once; LlamaModel swaps them when
 * its adapter changes.
 */
import { LORA_TARGETS, type LoraTarget } from '../../model/lora-targets';
import type { GpuLayerWeights } from '../model/weights';
import { Ia3Linear } from './ia3-linear';
import { isIa3, type AdaptedLinear, type InferenceAdapter, type LayerProjections } from './adapted-linear';
import { LoraLinear } from './lora-linear';

export function adaptedProjections(layer: GpuLayerWeights, adapter: InferenceAdapter['layers'][number] = {}): LayerProjections {
  const entries = LORA_TARGETS.map((target): [LoraTarget, AdaptedLinear] => {
    const w = adapter[target];
    if (w && isIa3(w)) return [target, new Ia3Linear(layer[target], w)];
    return [target, new LoraLinear(layer[target], w ?? null)];
  });
  return Object.fromEntries(entries) as LayerProjections;
}
