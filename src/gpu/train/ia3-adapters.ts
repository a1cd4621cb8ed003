/**
 * The IA³ vectors of a whole model (Liu et al. 2022, PEFT's IA3): one Ia3Linear per targeted projection of every
 * layer (the bare frozen layer elsewhere), every vector and its gradient in one ParameterBlock, like the LoRA
 * matrices, so the optimizer and the gradient norm stay one dispatch each. Initialised to ones, as PEFT does:
 * training starts from the base model.
 */
import { LORA_TARGETS, type Ia3Settings, type LoraTarget } from '../../model/lora-targets';
import type { GpuContext } from '../context';
import { Ia3Linear } from '../lora/ia3-linear';
import type { AdaptedLinear, InferenceAdapter, LayerProjections } from '../lora/adapted-linear';
import { LoraLinear } from '../lora/lora-linear';
import { ParameterBlock, type BlockSlot } from '../lora/parameter-block';
import type { GpuModelWeights } from '../model/weights';
import { TrainerSettingsError } from './lora-adapters';
import type { Ia3VectorCopy } from './types';


export function checkIa3Settings(settings: Ia3Settings): void {
  const { targets, feedforward } = settings;
  if (targets.length === 0) throw new TrainerSettingsError('IA³ targets are empty: name at least one of q,k,v,o,gate,up,down');
  for (const t of [...targets, ...feedforward]) {
    if (!LORA_TARGETS.includes(t)) throw new TrainerSettingsError(`unknown IA³ target '${t}' (expected one of ${LORA_TARGETS.join(', ')})`);
  }
  if (new Set(targets).size !== targets.length) throw new TrainerSettingsError(`IA³ targets repeat: ${targets.join(',')}`);
  for (const f of feedforward) {
    if (!targets.includes(f)) throw new TrainerSettingsError(`IA³ feed-forward module '${f}' is not among the targets ${targets.join(',')}`);
  }
}

export class Ia3Adapters {
  readonly block = new ParameterBlock();
  readonly layers: LayerProjections[];
  /** One learning rate for every vector: LoRA+'s second group starts past the end. */
  readonly bStart: number;
  private readonly slots: { layer: number; target: LoraTarget; side: 'output' | 'input'; slot: BlockSlot }[] = [];

  constructor(ctx: GpuContext, weights: GpuModelWeights, readonly settings: Ia3Settings) {
    checkIa3Settings(settings);
    weights.layers.forEach((layer, i) => {
      for (const target of settings.targets) {
        const side = settings.feedforward.includes(target) ? 'input' : 'output';
        const base = layer[target];
        const width = side === 'output' ? base.outFeatures : base.inFeatures;
        this.slots.push({ layer: i, target, side, slot: this.block.add(`l${i}.${target}.ia3_l`, [width]) });
      }
    });
    this.bStart = this.block.length;
    this.block.allocate(ctx, 'ia3');
    this.layers = weights.layers.map((layer, i) => {
      const entries = LORA_TARGETS.map((target): [LoraTarget, AdaptedLinear] => {
        const s = this.slots.find((x) => x.layer === i && x.target === target);
        const projection = s
          ? new Ia3Linear(layer[target], { l: this.block.view('params', s.slot), dl: this.block.view('grads', s.slot), side: s.side })
          : new LoraLinear(layer[target]);
        return [target, projection];
      });
      return Object.fromEntries(entries) as LayerProjections;
    });
  }

  /** The vectors for inference (LlamaModel.setAdapter): views of the parameter block, following every step. */
  view(): InferenceAdapter {
    const layers: InferenceAdapter['layers'] = this.layers.map(() => ({}));
    for (const s of this.slots) layers[s.layer][s.target] = { l: this.block.view('params', s.slot), side: s.side };
    return { layers };
  }

  /** PEFT's initialisation as a host copy of the parameter buffer: every vector all ones (padding stays 0). */
  initialParams(): Float32Array {
    return this.block.pack(new Map(this.slots.map((s) => [s.slot.name, new Float32Array(s.slot.shape[0]).fill(1)])));
  }

  /** Splits a host copy of the parameter (or gradient) buffer into per-layer, per-target vectors. */
  vectors(copy: Float32Array): Ia3VectorCopy[] {
    const parts = this.block.unpack(copy);
    return this.slots.map((s) => ({ layer: s.layer, target: s.target, side: s.side, l: parts.get(s.slot.name)! }));
  }

  /** Packs per-layer vectors (every targeted projection, the sizes `vectors` gives) into a parameter buffer copy. */
  pack(vectors: readonly Ia3VectorCopy[]): Float32Array {
    const values = new Map<string, Float32Array>();
    for (const s of this.slots) {
      const v = vectors.find((x) => x.layer === s.layer && x.target === s.target);
      if (!v) throw new TrainerSettingsError(`IA³ vectors lack layer ${s.layer} '${s.target}'`);
      if (v.l.length !== s.slot.shape[0]) {
        throw new TrainerSettingsError(`IA³ vector of layer ${s.layer} '${s.target}' has ${v.l.length} values, expected ${s.slot.shape[0]}`);
      }
      values.set(s.slot.name, Float32Array.from(v.l));
    }
    return this.block.pack(values);
  }

  /** Bytes of parameters, gradients and both AdamW moments. */
  get bytes(): number {
    return 4 * this.block.length * 4;
  }

  release(ctx: GpuContext): void {
    this.block.release(ctx);
  }
}
