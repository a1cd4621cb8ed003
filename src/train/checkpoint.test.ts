import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint';
import { DEFAULT_TRAINING_CONFIG } from './config';
import { concatBytes } from './storage';
import { FolderStorage } from './storage-node';

function sample(): Checkpoint {
  const params = Float32Array.from({ length: 131 }, (_, i) => Math.sin(i) * 1e-3);
  params[5] = -0; // bit patterns must survive, signed zero and subnormals included
  params[6] = 1.4e-45;
  return {
    step: 42,
    config: { ...DEFAULT_TRAINING_CONFIG, maxSteps: 100, epochs: null },
    dataPosition: { epoch: 1, index: 3, rngState: [1, 2, 3, 4], dataset: { examples: 9, hash: 'abcd0123' } },
    earlyStopping: { bestLoss: 1.25, bestStep: 40, sinceBest: 1 },
    history: {
      steps: [{ step: 42, loss: 1.5, learningRate: 1e-4, gradNorm: 0.3, trainedTokens: 100 }],
      validations: [{ step: 40, loss: 1.25, perplexity: Math.exp(1.25), trainedTokens: 50 }],
    },
    trainer: {
      step: 42,
      layout: 'a-then-b',
      params,
      m: Float32Array.from({ length: 131 }, (_, i) => i * 1e-5),
      v: Float32Array.from({ length: 131 }, (_, i) => i * 1e-9),
      rngState: [123456789, 7],
    },
    elapsedSeconds: 12.5,
    tokensSeen: 4096,
    model: 'stories260K.gguf (llama, 5 layers)',
  };
}

const bytesOf = (c: Checkpoint) => concatBytes(encodeCheckpoint(c));

describe('checkpoint file', () => {
  it('round-trips every field, tensors bit for bit', () => {
    const c = sample();
    const back = decodeCheckpoint(bytesOf(c));
    expect(new Uint32Array(back.trainer.params.buffer, back.trainer.params.byteOffset, 131)).toEqual(
      new Uint32Array(c.trainer.params.buffer),
    );
    expect(back).toEqual(c);
  });

  it('reads a checkpoint written before LoRA+ as the interleaved layout, with the settings it lacks at their defaults', () => {
    const c = sample();
    const { loraPlusRatio: _dropped, ...olderConfig } = c.config;
    // As that version wrote it: no layout in the header, no loraPlusRatio in the config.
    const older = { ...c, config: olderConfig as Checkpoint['config'], trainer: { ...c.trainer, layout: undefined as never } };
    const back = decodeCheckpoint(bytesOf(older));
    expect(back.trainer.layout).toBe('interleaved');
    expect(back.config.loraPlusRatio).toBe(1);
    expect(back.trainer.params).toEqual(c.trainer.params);
  });

  it('detects a flipped byte in the tensor data', () => {
    const bytes = bytesOf(sample());
    bytes[bytes.length - 100] ^= 1;
    expect(() => decodeCheckpoint(bytes, 'run/checkpoint.wtck')).toThrow(
      'run/checkpoint.wtck: tensor data does not match its checksum (the file is corrupt)',
    );
  });

  it('detects truncation and foreign files', () => {
    const bytes = bytesOf(sample());
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 8))).toThrow(/is truncated or padded: expected \d+ bytes/);
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"not": "a checkpoint"}'))).toThrow(/bad magic/);
  });

  it('survives a folder round trip, leaving no partial file behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webtune-ckpt-'));
    try {
      const storage = new FolderStorage(join(dir, 'run'));
      await storage.write(CHECKPOINT_FILE, encodeCheckpoint(sample()));
      expect(await readdir(join(dir, 'run'))).toEqual([CHECKPOINT_FILE]);
      expect(decodeCheckpoint((await storage.read(CHECKPOINT_FILE))!)).toEqual(sample());
      expect(await storage.read('missing.wtck')).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
