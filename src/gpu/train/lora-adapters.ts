/**
 * The adapters of a whole model: one LoraLinear (or DoraLinear) per projection of every layer (an adapter where
 * the settings target it, the bare frozen layer elsewhere), their A/B matrices (and DoRA magnitudes) and gradients
 * packed in one ParameterBlock so the optimizer and the gradient norm are one dispatch each: every A first, then
 * every B, then every magnitude (PARAMETER_LAYOUT), so LoRA+ gives the Bs and magnitudes their learning rate in
 * that same dispatch (PEFT's LoRA+ puts 1-D parameters with B). Initialised as Hugging Face PEFT does it:
 * A ~ Kaiming-uniform with a = √5, i.e. U(−1/√in, 1/√in); B = 0; m = ‖W_j‖ per row; so training starts from the
 * base model.
 */
import { LORA_TARGETS, loraScale, type LoraSettings, type LoraTarget } from '../../model/lora-targets';
import type { GpuContext } from '../context';
import { doraScale, doraScaleStride, doraScaleViews } from '../kernels/dora_scale';
import type { InferenceAdapter, LayerProjections, LoraMatrices } from '../lora/adapted-linear';
import { ParameterBlock, type BlockSlot } from '../lora/parameter-block';
import { adaptedProjections } from '../lora/projections';
import type { Tensor } from '../tensor';
import type { LinearLayer } from '../model/linear';
import type { GpuLayerWeights, GpuModelWeights } from '../model/weights';
import { SeededRandom } from './seeded-random';
import type { AdapterMatrices, ParameterLayout } from './types';

/** The order ModelAdapters packs its matrices in (types.ts). */
export const PARAMETER_LAYOUT: ParameterLayout = 'a-then-b';

export class TrainerSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerSettingsError';
  }
}

interface AdapterSlots {
  layer: number;
  target: LoraTarget;
  a: BlockSlot; // [r, in]
  b: BlockSlot; // [out, r]
  /** DoRA: the magnitude [out], and dora_scale's output (not a parameter). */
  dora?: { m: BlockSlot; scales: Tensor };
}

function baseLinear(layer: GpuLayerWeights, target: LoraTarget): LinearLayer {
  return layer[target];
}

/** Checks the LoRA settings against the model before anything is allocated. */
export function checkLoraSettings(settings: LoraSettings, weights: GpuModelWeights): void {
  const { rank, alpha, targets } = settings;
  if (!Number.isInteger(rank) || rank < 1) throw new TrainerSettingsError(`LoRA rank must be an integer ≥ 1, got ${rank}`);
  if (!Number.isFinite(alpha) || alpha <= 0) throw new TrainerSettingsError(`LoRA alpha must be a positive number, got ${alpha}`);
  if (targets.length === 0) throw new TrainerSettingsError('LoRA targets are empty: name at least one of q,k,v,o,gate,up,down');
  for (const t of targets) {
    if (!LORA_TARGETS.includes(t)) {
      throw new TrainerSettingsError(`unknown LoRA target '${t}' (expected one of ${LORA_TARGETS.join(', ')})`);
    }
  }
  if (new Set(targets).size !== targets.length) throw new TrainerSettingsError(`LoRA targets repeat: ${targets.join(',')}`);
  const layer = weights.layers[0];
  for (const t of targets) {
    const { inFeatures, outFeatures } = baseLinear(layer, t);
    if (rank > Math.min(inFeatures, outFeatures)) {
      throw new TrainerSettingsError(
        `LoRA rank ${rank} is larger than the '${t}' projection's dimensions (${outFeatures}×${inFeatures}); ` +
          `use a rank ≤ ${Math.min(inFeatures, outFeatures)}`,
      );
    }
  }
}

/** A [r, in] and B [out, r] of every adapted projection, layer by layer, in the settings' target order. */
function projectionShapes(weights: GpuModelWeights, settings: LoraSettings) {
  const r = settings.rank;
  return weights.layers.flatMap((layer, i) =>
    settings.targets.map((target) => {
      const { inFeatures, outFeatures } = baseLinear(layer, target);
      return { layer: i, target, a: [r, inFeatures] as const, b: [outFeatures, r] as const };
    }),
  );
}

export class ModelAdapters {
  readonly block = new ParameterBlock();
  readonly layers: LayerProjections[];
  /** Float offset of the first B in the block: the Bs (and magnitudes) are the block's tail (LoRA+'s second learning rate). */
  readonly bStart: number;
  private readonly slots: AdapterSlots[] = [];
  /** The same matrices in the layout before LoRA+ (each layer's A then B), to read older checkpoints. */
  private readonly interleaved: ParameterBlock;

  constructor(
    ctx: GpuContext,
    weights: GpuModelWeights,
    readonly settings: LoraSettings,
  ) {
    checkLoraSettings(settings, weights);
    const shapes = projectionShapes(weights, settings);
    const as = shapes.map((s) => this.block.add(`l${s.layer}.${s.target}.A`, s.a));
    this.bStart = this.block.length;
    const bs = shapes.map((s) => this.block.add(`l${s.layer}.${s.target}.B`, s.b));
    shapes.forEach((s, i) => {
      const dora = settings.dora
        ? {
            m: this.block.add(`l${s.layer}.${s.target}.m`, [s.b[0]]),
            scales: ctx.tensor([3 * doraScaleStride(s.b[0])], 'f32', `lora.l${s.layer}.${s.target}.dora_scales`),
          }
        : undefined;
      this.slots.push({ layer: s.layer, target: s.target, a: as[i], b: bs[i], dora });
    });
    this.interleaved = new ParameterBlock();
    for (const s of shapes) {
      this.interleaved.add(`l${s.layer}.${s.target}.A`, s.a);
      this.interleaved.add(`l${s.layer}.${s.target}.B`, s.b);
    }
    this.block.allocate(ctx, 'lora');
    const scale = loraScale(settings);
    this.layers = weights.layers.map((layer, i) => {
      const loras: Partial<Record<LoraTarget, LoraMatrices>> = {};
      for (const s of this.slots.filter((x) => x.layer === i)) {
        loras[s.target] = {
          a: this.block.view('params', s.a),
          b: this.block.view('params', s.b),
          dA: this.block.view('grads', s.a),
          dB: this.block.view('grads', s.b),
          scale,
          ...(s.dora
            ? { dora: { m: this.block.view('params', s.dora.m), dm: this.block.view('grads', s.dora.m), scales: s.dora.scales, fixed: false } }
            : {}),
        };
      }
      return adaptedProjections(layer, loras);
    });
  }

  /**
   * The adapted projections' weights for inference: the same GPU views the trainer updates (a DoRA magnitude's
   * scales are its own buffer, refreshed by every forward).
   */
  view(): InferenceAdapter {
    const layers: InferenceAdapter['layers'] = this.layers.map(() => ({}));
    const scale = loraScale(this.settings);
    for (const s of this.slots) {
      layers[s.layer][s.target] = {
        a: this.block.view('params', s.a),
        b: this.block.view('params', s.b),
        scale,
        ...(s.dora ? { dora: { m: this.block.view('params', s.dora.m), scales: s.dora.scales, fixed: false } } : {}),
      };
    }
    return { layers };
  }

  /**
   * DoRA: sets every magnitude to its row norms ‖W_j + s·B_j·A‖ on the GPU (‖W_j‖ for a fresh adapter, B = 0),
   * PEFT's initialisation. Call after the parameters are written.
   */
  initMagnitudes(ctx: GpuContext, weights: GpuModelWeights): void {
    const scale = loraScale(this.settings);
    for (const s of this.slots) {
      if (!s.dora) continue;
      const m = this.block.view('params', s.dora.m);
      const weight = weights.layers[s.layer][s.target].weight;
      doraScale(ctx, { weight, a: this.block.view('params', s.a), b: this.block.view('params', s.b), scale, magnitude: m, out: s.dora.scales });
      ctx.copy(doraScaleViews(s.dora.scales, m.size).norm, m, m.byteSize);
    }
  }

  /** PEFT's initialisation as a host copy of the parameter buffer: A ~ U(−1/√in, 1/√in), B = 0. */
  initialParams(seed: number): Float32Array {
    const rng = SeededRandom.fromSeed(seed);
    const values = new Map<string, Float32Array>();
    for (const s of this.slots) {
      const [r, inFeatures] = s.a.shape;
      const bound = 1 / Math.sqrt(inFeatures);
      const a = new Float32Array(r * inFeatures);
      for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * bound;
      values.set(s.a.name, a);
    }
    return this.block.pack(values);
  }

  /** Splits a host copy of the parameter (or gradient) buffer into per-layer, per-target A [r, in] and B [out, r]. */
  matrices(block: Float32Array): AdapterMatrices[] {
    const parts = this.block.unpack(block);
    return this.slots.map((s) => ({
      layer: s.layer,
      target: s.target,
      rank: this.settings.rank,
      inFeatures: s.a.shape[1],
      outFeatures: s.b.shape[0],
      a: parts.get(s.a.name)!,
      b: parts.get(s.b.name)!,
      ...(s.dora ? { magnitude: parts.get(s.dora.m.name)! } : {}),
    }));
  }

  /** Packs per-layer matrices (all adapted projections, same shapes as `matrices`) into a parameter buffer copy. */
  pack(matrices: readonly AdapterMatrices[]): Float32Array {
    const values = new Map<string, Float32Array>();
    for (const s of this.slots) {
      const m = matrices.find((x) => x.layer === s.layer && x.target === s.target);
      if (!m) throw new TrainerSettingsError(`adapter weights lack layer ${s.layer} '${s.target}'`);
      const aSize = s.a.shape[0] * s.a.shape[1];
      const bSize = s.b.shape[0] * s.b.shape[1];
      if (m.a.length !== aSize || m.b.length !== bSize) {
        throw new TrainerSettingsError(
          `adapter weights for layer ${s.layer} '${s.target}' have ${m.a.length}/${m.b.length} values, ` +
            `expected A [${s.a.shape.join('×')}] and B [${s.b.shape.join('×')}]`,
        );
      }
      values.set(s.a.name, Float32Array.from(m.a));
      values.set(s.b.name, Float32Array.from(m.b));
      if (s.dora) {
        const size = s.dora.m.shape[0];
        if (m.magnitude?.length !== size) {
          throw new TrainerSettingsError(
            `adapter weights for layer ${s.layer} '${s.target}' need a DoRA magnitude of ${size} values, got ${m.magnitude?.length ?? 'none'}`,
          );
        }
        values.set(s.dora.m.name, Float32Array.from(m.magnitude));
      }
    }
    return this.block.pack(values);
  }

  /** A block buffer copy in the interleaved layout (a checkpoint from before LoRA+), reordered into this block's. */
  fromInterleaved(copy: Float32Array): Float32Array {
    return this.block.pack(this.interleaved.unpack(copy));
  }

  /** Bytes of parameters, gradients and both AdamW moments, and DoRA's scales. */
  get bytes(): number {
    return 4 * this.block.length * 4 + this.slots.reduce((sum, s) => sum + (s.dora?.scales.byteSize ?? 0), 0);
  }

  release(ctx: GpuContext): void {
    this.block.release(ctx);
    for (const s of this.slots) if (s.dora) ctx.release(s.dora.scales);
  }
}
