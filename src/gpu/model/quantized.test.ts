/**
 * Quantized and 16-bit models end to end: GGUF files whose linear weights are Q8_0 / Q4_0 / Q4_K / Q6_K blocks (made
 * by the test-suite quantizers from the published layouts), or whose every tensor is F16 or BF16, run with the
 * weights still in those formats on the GPU (embedding and head too), and match the CPU reference forward over
 * the decoded weights; a Q8_0 copy of stories260K keeps greedy output.
 */
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../model/config';
import { fixtureGguf, fixtureHfFolder, syntheticConfig } from '../../model/fixtures';
import { readHfFolder } from '../../model/hf/folder';
import { openGgufModel } from '../../model/gguf/model';
import { readGguf, readTensorBytes } from '../../model/gguf/reader';
import { encodeGguf, type GgufWriteTensor } from '../../model/gguf/writer';
import { ggmlType } from '../../model/ggml-types';
import { readHostWeights } from '../../model/host-weights';
import { floatBytesToF32 } from '../../model/dtype';
import { referenceForward } from '../../model/reference-forward';
import { bytesSource, concatBytes } from '../../model/source';
import { fileSource } from '../../model/source-node';
import { argmax } from '../../generate/sampler';
import { isQuantizedWeight } from '../kernels/matmul_quant';
import { quantizeForTest } from '../kernels/quant-testing';
import { assertClose } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { LlamaModel } from './llama';
import { releaseModel, uploadModel } from './upload';
import { Tensor } from '../tensor';
import { HostEmbedding } from './host-embedding';

type FileFormat = 'q8_0' | 'q4_0' | 'q4_k' | 'q6_k';
const GGML_NAME: Record<FileFormat, 'Q8_0' | 'Q4_0' | 'Q4_K' | 'Q6_K'> = {
  q8_0: 'Q8_0',
  q4_0: 'Q4_0',
  q4_k: 'Q4_K',
  q6_k: 'Q6_K',
};

const LINEAR = /(attn_(q|k|v|output)|ffn_(gate|up|down))\.weight$|^output\.weight$/;

/** Re-encodes an F32 GGUF with every linear weight (and the output head) quantized to `format`. */
async function requantize(bytes: Uint8Array, format: FileFormat): Promise<{ file: Uint8Array; quantized: number }> {
  const file = await readGguf(bytesSource(bytes, 'f32.gguf'));
  const blockSize = ggmlType(GGML_NAME[format]).blockSize;
  let quantized = 0;
  const tensors: GgufWriteTensor[] = [];
  for (const t of file.tensors) {
    const data = await readTensorBytes(file, t);
    if (LINEAR.test(t.name) && t.shape.length === 2 && t.shape[1] % blockSize === 0) {
      const values = floatBytesToF32(data, 'F32');
      tensors.push({ name: t.name, shape: t.shape, type: GGML_NAME[format], data: quantizeForTest(format, values) });
      quantized++;
    } else {
      tensors.push({ name: t.name, shape: t.shape, type: t.type.name, data });
    }
  }
  return { file: concatBytes(encodeGguf({ metadata: file.metadata.entries, tensors })), quantized };
}

async function greedy(model: LlamaModel, prompt: number[], n: number): Promise<number[]> {
  const out: number[] = [];
  let logits = await model.forward(prompt, 0);
  for (let i = 0; i < n; i++) {
    const id = argmax(logits);
    out.push(id);
    logits = await model.forward([id], prompt.length + i);
  }
  return out;
}

const PROMPT = [1, 403, 407, 261, 378];

describe('quantized models on the GPU', () => {
  it('a Q8_0 copy of stories260K keeps greedy output identical for 32 tokens', async () => {
    const ctx = await testContext();
    const f32Bytes = await (async () => {
      const src = await fileSource('../shared/models/stories260K/stories260K.gguf');
      const all = await src.read(0, src.size);
      await src.close?.();
      return all;
    })();
    const { file, quantized } = await requantize(f32Bytes, 'q8_0');
    // Every projection whose input width is a multiple of 32, and the output head: ffn_down reads 172 features and
    // stays F32, as llama.cpp's quantizer also leaves such tensors.
    expect(quantized).toBe(5 * 6 + 1);
    const run = async (bytes: Uint8Array, name: string) => {
      const { weights } = await openGgufModel(bytesSource(bytes, name));
      const up = await uploadModel(ctx, weights);
      return { up, tokens: await greedy(new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq }), PROMPT, 32) };
    };
    const f32 = await run(f32Bytes, 'f32.gguf');
    const q8 = await run(file, 'q8_0.gguf');
    expect(q8.tokens).toEqual(f32.tokens);
    // The weights stayed quantized: about 1.06 bytes per linear weight instead of 4.
    expect(q8.up.weightBytes).toBeLessThan(f32.up.weightBytes * 0.55);
  });

  /** Rows of 256: wide enough for whole Q4_K / Q6_K super-blocks. */
  const synthetic = (): ModelConfig =>
    syntheticConfig({
      hiddenSize: 256,
      intermediateSize: 512,
      numLayers: 1,
      headDim: 64,
      vocabSize: 40,
      contextLength: 32,
      ropeLayout: 'interleaved',
    });

  it.each(['q8_0', 'q4_0', 'q4_k', 'q6_k'] as const)(
    '%s linear weights: GPU logits match the CPU reference over the dequantized weights',
    async (format) => {
      const ctx = await testContext();
      const config = synthetic();
      const { file, quantized } = await requantize(fixtureGguf(config, { seed: 11 }), format);
      expect(quantized).toBe(7 + 1);
      const { weights } = await openGgufModel(bytesSource(file, `${format}.gguf`));
      const up = await uploadModel(ctx, weights);
      const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq });
      const host = await readHostWeights(weights.config, weights); // dequantized on the CPU
      const tokens = [1, 7, 30, 2, 19, 19];
      const ref = referenceForward(weights.config, host, tokens);
      const v = config.vocabSize;
      assertClose(await model.forward(tokens, 0), ref.subarray((tokens.length - 1) * v), { atol: 5e-4, rtol: 1e-3 }, format);
    },
  );

  it.each([
    ['F16', 'gguf', false],
    ['BF16', 'gguf', true],
    ['F16', 'hf', true],
    ['BF16', 'hf', false],
  ] as const)(
    'a %s %s model (tied head: %s): logits match the CPU reference over the same 16-bit values; GPU bytes = file bytes',
    async (dtype, container, tiedEmbeddings) => {
      const ctx = await testContext();
      const config = { ...synthetic(), vocabSize: 96, tiedEmbeddings };
      const { weights } =
        container === 'gguf'
          ? await openGgufModel(bytesSource(fixtureGguf(config, { seed: 12, dtype }), 'model.gguf'))
          : await readHfFolder(fixtureHfFolder(config, { seed: 12, dtype }), 'llama');
      expect([...weights.tensors.values()].every((ref) => ref.dtype === dtype)).toBe(true);
      const up = await uploadModel(ctx, weights);
      // Every linear weight and the head stayed 16-bit on the GPU; the embedding too when it is the head, and on
      // the host, in its file's bytes, when the head is its own matrix.
      expect(up.weights.output.weight).not.toBeInstanceOf(Tensor);
      if (tiedEmbeddings) expect(isQuantizedWeight(up.weights.tokenEmbedding)).toBe(true);
      else expect(up.weights.tokenEmbedding).toBeInstanceOf(HostEmbedding);
      let fileBytes = 0;
      for (const ref of weights.tensors.values()) {
        if (ref.key !== 'token_embd' || tiedEmbeddings) fileBytes += ref.shape.reduce((a, b) => a * b, 1) * 2;
      }
      // Norms are widened to f32 (a few KiB); everything else is the file's bytes plus a word per weight.
      expect(Math.abs(up.weightBytes / fileBytes - 1)).toBeLessThan(0.05);
      const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq });
      const host = await readHostWeights(weights.config, weights); // the same 16-bit values, widened exactly
      const tokens = [1, 7, 95, 2, 19, 19, 64];
      const ref = referenceForward(weights.config, host, tokens);
      const v = config.vocabSize;
      const where = `${dtype} ${container}`;
      assertClose(await model.forward(tokens, 0), ref.subarray((tokens.length - 1) * v), { atol: 5e-4, rtol: 1e-3 }, where);
      releaseModel(ctx, up);
    },
  );
});
