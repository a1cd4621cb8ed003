import { describe, expect, it } from 'vitest';
import type { TokenizedExample } from '../data/tokenize';
import { ExampleBatchStream } from './batch-stream';
import { CHECKPOINT_FILE, decodeCheckpoint } from './checkpoint';
import { DEFAULT_TRAINING_CONFIG } from './config';
import { guardDeviceLoss } from './device-loss';
import { runTrainingLoop, TrainingInterruptedError } from './loop';
import { MemoryStorage } from './storage';
import { BigramTrainer } from './testing/bigram-trainer';

const examples: TokenizedExample[] = Array.from({ length: 6 }, (_, i) => ({
  ids: Uint32Array.from([i % 3, 3, 4, 5]),
  trained: Uint8Array.from([0, 1, 1, 1]),
  trainedCount: 3,
  key: 0,
}));

describe('guardDeviceLoss', () => {
  it('turns a device lost mid-run into an interruption that keeps the last checkpoint and says how to resume', async () => {
    let loseDevice!: (info: GPUDeviceLostInfo) => void;
    const lost = new Promise<GPUDeviceLostInfo>((resolve) => (loseDevice = resolve));
    const inner = new BigramTrainer(6);
    const step = inner.step.bind(inner);
    // The device goes away while step 5's work is in flight: that step never completes.
    inner.step = (hp) => {
      if (inner.stepsTaken === 4) {
        loseDevice({ reason: 'unknown', message: 'VK_ERROR_DEVICE_LOST' } as GPUDeviceLostInfo);
        return new Promise(() => {});
      }
      return step(hp);
    };
    const storage = new MemoryStorage();
    const config = { ...DEFAULT_TRAINING_CONFIG, maxSteps: 10, epochs: null, batchSize: 2, seqLen: 8, saveEvery: 2, evalEvery: 0 };
    const error = await runTrainingLoop({
      trainer: guardDeviceLoss(inner, lost),
      batches: new ExampleBatchStream(examples, { microBatchSize: 2, seqLen: 8, packing: false, seed: 1 }),
      validation: [],
      config,
      storage,
      model: 'bigram',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingInterruptedError);
    expect((error as Error).message).toBe(
      'training stopped during step 5: the GPU device was lost (unknown: VK_ERROR_DEVICE_LOST). The last good ' +
        'checkpoint (step 4) is in memory. Run the same command with --resume to continue from it.',
    );
    expect(decodeCheckpoint((await storage.read(CHECKPOINT_FILE))!).step).toBe(4);
  });
});
