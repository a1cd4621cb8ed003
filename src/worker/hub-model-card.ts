/**
 * The model card's training-memory figures: src/train/memory-estimate.ts on the loaded model with the default
 * training settings (DEFAULT_TRAINING_CONFIG: LoRA rank 8 on every projection, 4 sequences × 256 tokens, no
 * dropout, no checkpointing, base as stored), then the two switches that lower it most (QLoRA NF4 for a float
 * base, gradient checkpointing).
 */
import type { LoadedModel } from '../model/load';
import { DEFAULT_TRAINING_CONFIG } from '../train/config';
import { estimateTrainingMemory, type MemoryEstimateInput, runEstimateInput } from '../train/memory-estimate';
import { baseStorage, baseWithQuantize } from '../model/quant/storage';
import type { TrainingMemoryFigure } from './hub-protocol';

const STORAGE_NAMES: Record<string, string> = {
  f32: 'F32',
  f16: 'F16',
  bf16: 'BF16',
  nf4: 'NF4',
  q8_0: 'Q8_0',
  q4_0: 'Q4_0',
  q4_k: 'Q4_K',
  q6_k: 'Q6_K',
};

export function trainingMemoryFigures(model: LoadedModel, maxBindingBytes?: number): TrainingMemoryFigure[] {
  const c = DEFAULT_TRAINING_CONFIG;
  const base = runEstimateInput(model.config, baseStorage(model.weights, c.quant), c, maxBindingBytes);
  const describe = (input: MemoryEstimateInput, extra: string): string =>
    `LoRA rank ${input.rank} on ${input.targets.join(',')}, ${c.batchSize} × ${c.seqLen} tokens, ` +
    `${STORAGE_NAMES[input.storage.linears] ?? input.storage.linears} base${extra}`;
  const variants: { input: MemoryEstimateInput; settings: string }[] = [{ input: base, settings: describe(base, ' (defaults)') }];
  const qlora = baseWithQuantize(base.storage, 'nf4');
  if (qlora.linears !== base.storage.linears) {
    const nf4 = { ...base, storage: qlora };
    variants.push({ input: nf4, settings: describe(nf4, ' (QLoRA)') });
  }
  const recompute = { ...base, checkpointing: true };
  variants.push({ input: recompute, settings: describe(recompute, ', gradient checkpointing') });
  return variants.map(({ input, settings }) => {
    const e = estimateTrainingMemory(input);
    return {
      settings,
      totalBytes: e.totalBytes,
      weightBytes: e.weightBytes,
      adapterBytes: e.adapterBytes,
      activationBytes: e.activationBytes,
      scratchBytes: e.scratchBytes,
    };
  });
}
