/**
 * LoRA gradients from the GPU against central finite differences (float64) of the CPU reference loss, with
 * nonzero B so every dA is nontrivial: stories260K (two packed sequences, an ignored target inside one), and a
 * small Qwen2-style model (q/k/v biases, GQA, untied head). Relative error ≤ 1e-3.
 */
import { describe, expect, it } from 'vitest';
import { readHfFolder } from '../../model/hf/folder';
import { testContext } from '../testing/gpu';
import { releaseModel, uploadModel } from '../model/upload';
import { checkModelGradients as checkModel, type GradientCheckReport } from './gradient-check';
import { LoraTrainer } from './lora-trainer';
import { fixtureGguf, fixtureHfFolder, syntheticConfig } from '../../model/fixtures';
import { nf4Host, packSequences, storiesWeights, trainerOptions } from './train-testing';
import { randomizeB } from './gradient-check';
import { openGgufModel } from '../../model/gguf/model';
import { readGguf, readTensorBytes } from '../../model/gguf/reader';
import { encodeGguf, type GgufWriteTensor } from '../../model/gguf/writer';
import { floatBytesToF32 } from '../../model/dtype';
import { bytesSource, concatBytes } from '../../model/source';
import { fileSource } from '../../model/source-node';
import { quantizeForTest } from '../kernels/quant-testing';

const STORIES_BATCH = packSequences([[1, 403, 407, 261, 378, 432], [1, 376, 298, 315, 421]], [2]);

/** stories260K's GGUF with every linear weight whose rows split into 32-blocks, and the LM head, as Q8_0. */
async function storiesQ8(): Promise<Uint8Array> {
  const src = await fileSource('../shared/models/stories260K/stories260K.gguf');
  const bytes = await src.read(0, src.size);
  await src.close?.();
  const file = await readGguf(bytesSource(bytes, 'stories260K.gguf'));
  const tensors: GgufWriteTensor[] = [];
  for (const t of file.tensors) {
    const data = await readTensorBytes(file, t);
    const linear = /(attn_(q|k|v|output)|ffn_(gate|up|down))\.weight$|^output\.weight$/.test(t.name) && t.shape[1] % 32 === 0;
    tensors.push(
      linear
        ? { name: t.name, shape: t.shape, type: 'Q8_0', data: quantizeForTest('q8_0', floatBytesToF32(data, 'F32')) }
        : { name: t.name, shape: t.shape, type: t.type.name, data },
    );
  }
  return concatBytes(encodeGguf({ metadata: file.metadata.entries, tensors }));
}

const TOL = 1e-3;

/** The GPU's gradients (and, unless told otherwise, its loss) agree with the float64 reference's. */
function expectReferenceMatch(report: GradientCheckReport, options: { loss?: boolean } = {}): void {
  if (options.loss ?? true) expect(report.lossRelative).toBeLessThan(1e-5);
  expect(report.sampledRelative).toBeLessThan(TOL);
  expect(report.directionalRelative).toBeLessThan(TOL);
}

describe('LoRA gradient check (GPU backward vs finite differences of the CPU reference)', () => {
  it('stories260K, all seven targets, two packed sequences', async () => {
    const weights = await storiesWeights();
    const options = trainerOptions({ rank: 2, maxTokens: 12 });
    const fd = { perMatrix: 2, directions: 2, seed: 5 };
    const report = await checkModel(weights, options, STORIES_BATCH, 'stories260K', fd);
    expectReferenceMatch(report);
  }, 600_000);

  it('synthetic Qwen2 (q/k/v biases, GQA 4:2, untied head)', async () => {
    const config = syntheticConfig({ architecture: 'qwen2', attentionBias: true });
    const { weights } = await readHfFolder(fixtureHfFolder(config, { seed: 9 }), 'qwen2');
    const batch = packSequences([[1, 5, 9, 60, 33], [2, 17, 17, 40, 3, 58]], [7]);
    const fd = { perMatrix: 3, directions: 2, seed: 6 };
    const report = await checkModel(weights, trainerOptions({ rank: 3, maxTokens: 12 }), batch, 'Qwen2', fd);
    expectReferenceMatch(report);
  }, 600_000);

  it('synthetic Qwen3 (q/k norms, head dim 16), rsLoRA, a subset of targets', async () => {
    const config = syntheticConfig({ architecture: 'qwen3', qkNorm: true, headDim: 16 });
    const { weights } = await readHfFolder(fixtureHfFolder(config, { seed: 12 }), 'qwen3');
    const options = trainerOptions({ rank: 2, maxTokens: 12, targets: ['q', 'k', 'o', 'down'] });
    options.lora = { ...options.lora, rsLora: true };
    const batch = packSequences([[1, 5, 9, 60], [2, 17, 17, 40, 3, 58]]);
    const report = await checkModel(weights, options, batch, 'Qwen3', { perMatrix: 3, directions: 2, seed: 8 });
    expectReferenceMatch(report, { loss: false });
  }, 600_000);

  it('stories260K with an NF4 base (QLoRA): gradients match the reference over the dequantized weights', async () => {
    const weights = await storiesWeights();
    const options = trainerOptions({ rank: 2, maxTokens: 12 });
    const fd = { perMatrix: 1, directions: 2, seed: 3 };
    const report = await checkModel(weights, options, STORIES_BATCH, 'stories260K NF4', fd, { quantize: 'nf4' }, nf4Host);
    expectReferenceMatch(report);
  }, 600_000);

  it('stories260K GGUF with a Q8_0 base and a Q8_0 LM head (interleaved q/k rows, untied head)', async () => {
    const { weights } = await openGgufModel(bytesSource(await storiesQ8(), 'stories260K-q8_0.gguf'));
    expect(weights.tensors.get('output')?.dtype).toBe('Q8_0');
    const options = trainerOptions({ rank: 2, maxTokens: 12 });
    const fd = { perMatrix: 1, directions: 2, seed: 4 };
    const report = await checkModel(weights, options, STORIES_BATCH, 'stories260K Q8_0', fd);
    expectReferenceMatch(report);
  }, 600_000);

  it('synthetic Llama with every tensor BF16 (safetensors, tied head): 16-bit linears, embedding and head as stored', async () => {
    const config = syntheticConfig({ hiddenSize: 64, intermediateSize: 96, tiedEmbeddings: true });
    const { weights } = await readHfFolder(fixtureHfFolder(config, { seed: 13, dtype: 'BF16' }), 'bf16');
    const batch = packSequences([[1, 5, 9, 60, 33], [2, 17, 17, 40, 3]], [6]);
    const report = await checkModel(weights, trainerOptions({ rank: 2, maxTokens: 12 }), batch, 'BF16', { perMatrix: 2, directions: 2, seed: 9 });
    expectReferenceMatch(report);
  }, 600_000);

  it('synthetic Llama GGUF with every tensor F16 (untied head)', async () => {
    const config = syntheticConfig({ hiddenSize: 64, intermediateSize: 96 });
    const { weights } = await openGgufModel(bytesSource(fixtureGguf(config, { seed: 14, dtype: 'F16' }), 'f16.gguf'));
    const batch = packSequences([[1, 5, 9, 60, 33], [2, 17, 17, 40, 3]], [6]);
    const report = await checkModel(weights, trainerOptions({ rank: 2, maxTokens: 12 }), batch, 'F16', { perMatrix: 2, directions: 2, seed: 10 });
    expectReferenceMatch(report);
  }, 600_000);

  it('gradient checkpointing gives the same gradients as keeping activations (with dropout, so masks must replay)', async () => {
    const ctx = await testContext();
    const weights = await storiesWeights();
    const up = await uploadModel(ctx, weights);
    const grads = async (checkpointing: boolean) => {
      const trainer = new LoraTrainer(ctx, up, trainerOptions({ rank: 4, maxTokens: 12, dropout: 0.2, checkpointing }));
      trainer.setAdapterWeights(randomizeB(await trainer.adapterWeights(), 21));
      await trainer.accumulate(STORIES_BATCH);
      const g = await trainer.adapterGradients();
      const mem = trainer.memory().activationBytes;
      trainer.dispose();
      return { g, mem };
    };
    const kept = await grads(false);
    const recomputed = await grads(true);
    expect(recomputed.mem).toBeLessThan(kept.mem);
    let diff = 0;
    let norm = 0;
    kept.g.forEach((m, i) => {
      for (const k of ['a', 'b'] as const) {
        m[k].forEach((v, j) => {
          diff += (v - recomputed.g[i][k][j]) ** 2;
          norm += v * v;
        });
      }
    });
    console.log(`checkpointing: relative gradient difference ${Math.sqrt(diff / norm)}, activations ${kept.mem} → ${recomputed.mem} bytes`);
    expect(norm).toBeGreaterThan(0);
    expect(Math.sqrt(diff / norm)).toBeLessThan(1e-6);
    releaseModel(ctx, up);
  }, 600_000);
});
