import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../model/errors';
import { openGgufModel } from '../../model/gguf/model';
import { fileSource } from '../../model/source-node';
import { GpuContext } from '../context';
import { testContext } from '../testing/gpu';
import { HostEmbedding } from './host-embedding';
import { releaseModel, uploadModel } from './upload';

describe('uploadModel', () => {
  it('leaves nothing on the GPU when a tensor fails to load half-way', async () => {
    const shared = await testContext();
    const ctx = new GpuContext(shared.device, shared.report);
    const { weights } = await openGgufModel(await fileSource('../shared/models/stories260K/stories260K.gguf'));
    // Break one tensor in the middle of the model: its read fails as a truncated file would.
    const broken = weights.tensors.get('layers.3.ffn_up')!;
    weights.tensors.set('layers.3.ffn_up', {
      ...broken,
      read: () => Promise.reject(new ModelFormatError('stories260K.gguf', 'read past the end of the file')),
    });
    await expect(uploadModel(ctx, weights)).rejects.toThrow(/stories260K\.gguf: read past the end/);
    expect(ctx.memory.inUseBytes).toBe(0);
  });

  it('counts the weight bytes it uploads, and releases them', async () => {
    const shared = await testContext();
    const ctx = new GpuContext(shared.device, shared.report);
    const { weights } = await openGgufModel(await fileSource('../shared/models/stories260K/stories260K.gguf'));
    const up = await uploadModel(ctx, weights);
    // 260,032 parameters (README) + a separate 512×64 output head in the GGUF, all f32; with the head untied the
    // 512×64 embedding stays on the host (host-embedding.ts), so the GPU holds 260,032 floats.
    expect(up.weightBytes).toBe((260032 + 512 * 64 - 512 * 64) * 4);
    expect(up.weights.tokenEmbedding).toBeInstanceOf(HostEmbedding);
    expect(ctx.memory.inUseBytes).toBeGreaterThanOrEqual(up.weightBytes);
    releaseModel(ctx, up);
    expect(ctx.memory.inUseBytes).toBe(0);
  });
});
