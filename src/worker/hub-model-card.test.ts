import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeModel, type LoadedModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { DEFAULT_TRAINING_CONFIG } from '../train/config';
import { baseStorage } from '../model/quant/storage';
import { estimateTrainingMemory } from '../train/memory-estimate';
import { trainingMemoryFigures } from './hub-model-card';

const GGUF = fileURLToPath(new URL('../../../shared/models/stories260K/stories260K.gguf', import.meta.url));

describe('trainingMemoryFigures', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModelFromPath(GGUF);
  });
  afterAll(() => closeModel(model));

  it('estimates the default training run first, naming its settings, then QLoRA and checkpointing', () => {
    const figures = trainingMemoryFigures(model);
    expect(figures.map((f) => f.settings)).toEqual([
      'LoRA rank 8 on q,k,v,o,gate,up,down, 4 × 256 tokens, F32 base (defaults)',
      'LoRA rank 8 on q,k,v,o,gate,up,down, 4 × 256 tokens, NF4 base (QLoRA)',
      'LoRA rank 8 on q,k,v,o,gate,up,down, 4 × 256 tokens, F32 base, gradient checkpointing',
    ]);
    const c = DEFAULT_TRAINING_CONFIG;
    const expected = estimateTrainingMemory({
      config: model.config,
      storage: baseStorage(model.weights),
      rank: c.rank,
      targets: c.targets,
      maxTokens: c.batchSize * c.seqLen,
      checkpointing: c.checkpointing,
      dropout: c.dropout > 0,
    });
    expect(figures[0]).toMatchObject({ totalBytes: expected.totalBytes, weightBytes: expected.weightBytes, activationBytes: expected.activationBytes });
    const [defaults, qlora, recompute] = figures;
    expect(defaults.totalBytes).toBe(defaults.weightBytes + defaults.adapterBytes + defaults.activationBytes + defaults.scratchBytes);
    expect(qlora.weightBytes).toBeLessThan(defaults.weightBytes);
    expect(recompute.activationBytes).toBeLessThan(defaults.activationBytes);
  });
});
