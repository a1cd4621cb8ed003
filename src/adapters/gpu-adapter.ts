/**
 * A host adapter put on the GPU for inference (LlamaModel.setAdapter, LossEvaluator): a LoRA adapter's A [r, in]
 * and B [out, r] per layer and target (and a DoRA magnitude), which the model's layers add unmerged; an IA³
 * adapter's vectors; a prompt-tuning adapter's [P, C] embeddings. A LoRA adapter must already be in the base's q/k
 * row layout (importers do that when given the base; `adaptToBase` otherwise).
 */
import type { GpuContext } from '../gpu/context';
import { doraScaleStride } from '../gpu/kernels/dora_scale';
import type { InferenceAdapter } from '../gpu/lora/adapted-linear';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig, RopeLayout } from '../model/config';
import { ia3Side, ia3WithRowLayout, validateIa3Adapter, type Ia3Adapter } from './ia3-weights';
import { adapterScale, type LoraAdapter, validateLoraAdapter } from './lora-weights';
import { type PromptAdapter, validatePromptAdapter } from './prompt-weights';
import { type AnyAdapter, batchable, isIa3Adapter, isPromptAdapter, ownPassReason } from './any-adapter';
import { AdapterSlots, type SlotAdapter } from '../gpu/lora/adapter-slots';
import { LlamaModel } from '../gpu/model/llama';
import type { UploadedModel } from '../gpu/model/upload';

export interface GpuLoraAdapter {
  /** What LlamaModel.setAdapter takes. */
  inference: InferenceAdapter;
  /** Every tensor uploaded, for release. */
  tensors: Tensor[];
  /** GPU bytes of A and B (and DoRA's magnitudes and scales). */
  bytes: number;
}

/** Refuses an adapter whose q/k rows are not in the base's layout. */
function checkRowLayout(adapter: LoraAdapter, baseLayout: RopeLayout): void {
  validateLoraAdapter(adapter);
  const touchesQk = adapter.config.targets.some((t) => t === 'q' || t === 'k');
  if (touchesQk && adapter.rowLayout !== baseLayout) {
    throw new RangeError(
      `LoRA adapter for '${adapter.config.baseModel}': q/k rows are in ${adapter.rowLayout} order but the base uses ` +
        `${baseLayout}; import it with the base (or call adaptToBase) first`,
    );
  }
}

/** A LoRA adapter's pairs as AdapterSlots takes them; refuses what cannot share a batch, saying why. */
export function slotAdapter(adapter: AnyAdapter, baseLayout: RopeLayout): SlotAdapter {
  if (!batchable(adapter)) throw new RangeError(`this adapter cannot share a batch: ${ownPassReason(adapter)}`);
  checkRowLayout(adapter, baseLayout);
  const { r } = adapter.config;
  const scale = adapterScale(adapter.config);
  return adapter.layers.map((layer) =>
    Object.fromEntries(adapter.config.targets.map((t) => [t, { r, a: layer[t]!.a, b: layer[t]!.b, scale }])),
  );
}

/** A batched model over one uploaded base: sequence j runs `columns[j]`, a LoRA adapter in a slot or null for the base. */
export interface AdapterBatch {
  model: LlamaModel;
  slots: AdapterSlots;
  /** Frees the model's cache and the slots (the base belongs to its uploader). */
  dispose(): void;
}

/**
 * The base and LoRA adapters (up to eight) as one batched model, each adapter in a slot of its own; refuses an
 * adapter that cannot share a batch (ownPassReason) before anything is on the GPU.
 */
export function adapterBatch(
  ctx: GpuContext,
  base: UploadedModel,
  columns: readonly (AnyAdapter | null)[],
  options: { maxContext?: number } = {},
): AdapterBatch {
  const pairs = columns.map((adapter) => (adapter ? slotAdapter(adapter, base.config.ropeLayout) : null));
  const slots = new AdapterSlots(ctx, base.weights.layers);
  let model: LlamaModel | null = null;
  try {
    let next = 0;
    const slotOf = pairs.map((pair) => {
      if (!pair) return null;
      slots.set(next, pair);
      return next++;
    });
    model = new LlamaModel(ctx, base.config, base.weights, { invFreq: base.invFreq, maxContext: options.maxContext, sequences: columns.length });
    model.setSlots(slots, slotOf);
  } catch (error) {
    model?.dispose();
    slots.dispose();
    throw error;
  }
  const batched = model;
  return {
    model: batched,
    slots,
    dispose: () => {
      batched.dispose();
      slots.dispose();
    },
  };
}

/** Uploads every pair; refuses an adapter whose q/k rows are not in the base's layout. */
export function uploadLoraAdapter(ctx: GpuContext, adapter: LoraAdapter, baseLayout: RopeLayout): GpuLoraAdapter {
  checkRowLayout(adapter, baseLayout);
  const { r } = adapter.config;
  const scale = adapterScale(adapter.config);
  const tensors: Tensor[] = [];
  const layers = adapter.layers.map((layer, l) => {
    const out: InferenceAdapter['layers'][number] = {};
    for (const t of adapter.config.targets) {
      const p = layer[t]!;
      const a = ctx.tensor([r, p.inFeatures], 'f32', `lora.${l}.${t}.a`, p.a);
      const b = ctx.tensor([p.outFeatures, r], 'f32', `lora.${l}.${t}.b`, p.b);
      tensors.push(a, b);
      out[t] = { a, b, scale };
      if (p.magnitude) {
        // DoRA: the magnitude and the scales the projection computes from it at its first forward (fixed weights).
        const m = ctx.tensor([p.outFeatures], 'f32', `lora.${l}.${t}.m`, p.magnitude);
        const scales = ctx.tensor([3 * doraScaleStride(p.outFeatures)], 'f32', `lora.${l}.${t}.dora_scales`);
        tensors.push(m, scales);
        out[t] = { a, b, scale, dora: { m, scales, fixed: true } };
      }
    }
    return out;
  });
  return { inference: { layers }, tensors, bytes: tensors.reduce((s, x) => s + x.byteSize, 0) };
}

export function releaseLoraAdapter(ctx: GpuContext, uploaded: GpuLoraAdapter): void {
  for (const t of uploaded.tensors) ctx.release(t);
  uploaded.tensors.length = 0;
}

/** Uploads every IA³ vector, in the base's q/k row layout (converted here when the adapter's differs). */
export function uploadIa3Adapter(ctx: GpuContext, adapter: Ia3Adapter, base: Pick<ModelConfig, 'ropeLayout' | 'numHeads' | 'numKvHeads'>): GpuLoraAdapter {
  validateIa3Adapter(adapter);
  const onBase = ia3WithRowLayout(adapter, base.ropeLayout, base);
  const tensors: Tensor[] = [];
  const layers = onBase.layers.map((layer, l) => {
    const out: InferenceAdapter['layers'][number] = {};
    for (const t of onBase.config.targets) {
      const v = ctx.tensor([layer[t]!.length], 'f32', `ia3.${l}.${t}`, layer[t]!);
      tensors.push(v);
      out[t] = { l: v, side: ia3Side(onBase.config, t) };
    }
    return out;
  });
  return { inference: { layers }, tensors, bytes: tensors.reduce((s, x) => s + x.byteSize, 0) };
}

/** Uploads the prompt [P, C] for a base of `numLayers` layers (whose projections it leaves as they are). */
export function uploadPromptAdapter(ctx: GpuContext, adapter: PromptAdapter, numLayers: number): GpuLoraAdapter {
  validatePromptAdapter(adapter);
  const { virtualTokens, tokenDim } = adapter.config;
  const prompt = ctx.tensor([virtualTokens, tokenDim], 'f32', 'prompt.embeddings', adapter.embeddings);
  const layers = Array.from({ length: numLayers }, () => ({}));
  return { inference: { layers, prompt }, tensors: [prompt], bytes: prompt.byteSize };
}

/** Uploads any kind (a LoRA adapter must already be in the base's q/k layout; IA³ vectors are converted). */
export function uploadAnyAdapter(
  ctx: GpuContext,
  adapter: AnyAdapter,
  base: Pick<ModelConfig, 'ropeLayout' | 'numHeads' | 'numKvHeads' | 'numLayers'>,
): GpuLoraAdapter {
  if (isPromptAdapter(adapter)) return uploadPromptAdapter(ctx, adapter, base.numLayers);
  return isIa3Adapter(adapter) ? uploadIa3Adapter(ctx, adapter, base) : uploadLoraAdapter(ctx, adapter, base.ropeLayout);
}
