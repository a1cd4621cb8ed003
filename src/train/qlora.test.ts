/**
 * QLoRA check: the same short run on the sample dataset with the frozen base as NF4 (quantized on load from the
 * Hugging Face folder's f32 safetensors) and as Q8_0 (the GGUF's linear weights quantized with the Q8_0 block
 * format, kept quantized on the GPU as a Q8_0 GGUF's are). The Q8_0 run must end within 5% of the f32 run's
 * validation loss. The NF4 run is only required to learn (its loss falls by a fifth): on stories260K it ends about
 * 12% above f32 after 30 steps (it also starts ~5% higher: 64-wide rows are a single NF4 block each), which is
 * short of issue 4's 5% goal and is reported as open rather than asserted away.
 */
import { describe, expect, it } from 'vitest';
import { parseDatasetFile } from '../data/load-node';
import { SAMPLE_DATASET } from '../data/sample-dataset';
import { quantizeForTest } from '../gpu/kernels/quant-testing';
import { testContext } from '../gpu/testing/gpu';
import { floatBytesToF32 } from '../model/dtype';
import type { LoadedModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { QUANT_FORMATS, quantByteSize } from '../model/quant/formats';
import type { ModelWeights, WeightRef } from '../model/tensor-map';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from './config';
import { runTrainingSession } from './session';
import { MemoryStorage } from './storage';

const STEPS = 30;
const config: TrainingConfig = {
  ...DEFAULT_TRAINING_CONFIG,
  rank: 8,
  alpha: 16,
  learningRate: 3e-3,
  schedule: 'constant',
  batchSize: 1,
  seqLen: 128,
  maxSteps: STEPS,
  epochs: null,
  valSplit: 0.01,
  evalEvery: STEPS,
  saveEvery: 0,
  keepBest: false,
  seed: 5,
};

/** The block projections of a model as Q8_0 (the LM head stays f32: the fused loss reads a dense head). */
function q8Projections(weights: ModelWeights): ModelWeights {
  const roles = new Set(['attn_q', 'attn_k', 'attn_v', 'attn_o', 'ffn_gate', 'ffn_up', 'ffn_down']);
  const tensors = new Map<string, WeightRef>();
  for (const [key, ref] of weights.tensors) {
    const fits = ref.shape.length === 2 && ref.shape[1] % QUANT_FORMATS.q8_0.blockSize === 0 && ref.dtype === 'F32';
    if (!roles.has(key.split('.').pop() ?? '') || !fits) {
      tensors.set(key, ref);
      continue;
    }
    const count = ref.shape[0] * ref.shape[1];
    tensors.set(key, {
      ...ref,
      dtype: 'Q8_0',
      byteSize: quantByteSize('q8_0', count),
      read: async (range) => {
        const bytes = quantizeForTest('q8_0', floatBytesToF32(await ref.read(), 'F32'));
        return range ? bytes.subarray(range.offset, range.offset + range.length) : bytes;
      },
    });
  }
  return { ...weights, tensors };
}

describe('QLoRA (stories260K, moon stories)', () => {
  it(`a Q8_0 base ends ${STEPS} steps within 5% of the f32 run's validation loss; an NF4 base learns`, async () => {
    const ctx = await testContext();
    const dataset = await parseDatasetFile(SAMPLE_DATASET.path);
    const gguf = await loadModelFromPath('../shared/models/stories260K/stories260K.gguf');
    const hf = await loadModelFromPath('../shared/models/stories260K/hf');
    const run = async (model: LoadedModel, quant: 'none' | 'nf4') => {
      const r = await runTrainingSession({
        ctx,
        model,
        dataset,
        datasetName: SAMPLE_DATASET.path,
        config: { ...config, quant },
        storage: new MemoryStorage(),
        resume: false,
      });
      return { first: r.loop.history.validations[0].loss, last: r.finalValLoss! };
    };
    const f32 = await run(gguf, 'none');
    const nf4 = await run(hf, 'nf4');
    const q8 = await run({ ...gguf, weights: q8Projections(gguf.weights) }, 'none');
    const summary = `f32 ${f32.first.toFixed(4)}→${f32.last.toFixed(4)}, nf4 ${nf4.first.toFixed(4)}→${nf4.last.toFixed(4)}, q8_0 ${q8.first.toFixed(4)}→${q8.last.toFixed(4)}`;
    expect(f32.last, summary).toBeLessThan(0.8 * f32.first); // the runs learned, so the comparison means something
    console.log(`QLoRA: ${summary}; nf4 vs f32 ${(((nf4.last - f32.last) / f32.last) * 100).toFixed(1)}%`);
    expect(nf4.last, summary).toBeLessThan(0.8 * nf4.first);
    expect(Math.abs(q8.last - f32.last) / f32.last, summary).toBeLessThan(0.05);
  }, 3_600_000);
});
