import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFromHf, type ModelConfig } from '../config';
import { configToGgufMetadata } from '../config-export';
import { fixtureGguf, fixtureTensors } from '../fixtures';
import { bytesSource, concatBytes } from '../source';
import { fileSource } from '../source-node';
import { openGgufModel } from './model';
import { encodeGguf, gguf } from './writer';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));

const SMALL: ModelConfig = {
  ...configFromHf({
    architectures: ['Qwen2ForCausalLM'],
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 40,
    max_position_embeddings: 64,
    tie_word_embeddings: true,
    eos_token_id: 3,
  }),
};

/** Metadata from one config, tensors (and vocabulary) from another: a file whose header lies about its weights. */
function mismatched(metadataFrom: ModelConfig, tensorsFrom: ModelConfig, tokens = metadataFrom.vocabSize): Uint8Array {
  return concatBytes(
    encodeGguf({
      metadata: [
        ...configToGgufMetadata(metadataFrom),
        ['tokenizer.ggml.tokens', gguf.strings(Array.from({ length: tokens }, (_, i) => `t${i}`))],
      ],
      tensors: fixtureTensors(tensorsFrom, 'gguf', { zeros: true }).map((t) => ({ ...t, type: t.dtype })),
    }),
  );
}

async function refusal(bytes: Uint8Array): Promise<string> {
  return openGgufModel(bytesSource(bytes, 'm.gguf')).then(
    () => 'accepted',
    (e: Error) => e.message,
  );
}

describe('openGgufModel', () => {
  it('stories260K.gguf: every canonical tensor with its shape, nothing unused', async () => {
    const source = await fileSource(`${MODELS}stories260K/stories260K.gguf`);
    const { config, weights } = await openGgufModel(source);
    expect(config.tiedEmbeddings).toBe(false);
    expect(weights.tensors.size).toBe(48);
    expect(weights.unused).toEqual([]);
    const q = weights.tensors.get('layers.0.attn_q')!;
    expect([q.name, q.file, q.shape, q.dtype, q.byteSize]).toEqual(['blk.0.attn_q.weight', 'stories260K.gguf', [64, 64], 'F32', 16384]);
    expect(weights.tensors.get('layers.4.ffn_down')!.shape).toEqual([64, 172]);
    expect(weights.tensors.get('output')!.name).toBe('output.weight');
    expect((await weights.tensors.get('output_norm')!.read()).byteLength).toBe(256);
    await source.close?.();
  });

  it('opens synthetic files of every architecture and dtype, with biases and qk-norm where they belong', async () => {
    for (const architecture of ['llama', 'mistral', 'qwen2', 'qwen3'] as const) {
      for (const dtype of ['F32', 'F16', 'BF16'] as const) {
        const c: ModelConfig = {
          ...SMALL,
          architecture,
          attentionBias: architecture === 'qwen2',
          qkNorm: architecture === 'qwen3',
          tiedEmbeddings: architecture !== 'mistral',
        };
        const { config, weights } = await openGgufModel(bytesSource(fixtureGguf(c, { dtype })));
        expect(config.architecture).toBe(architecture);
        const perLayer = 9 + (c.attentionBias ? 3 : 0) + (c.qkNorm ? 2 : 0);
        expect(weights.tensors.size).toBe(2 + (c.tiedEmbeddings ? 0 : 1) + 2 * perLayer);
        expect(weights.tensors.get('layers.1.attn_k')!.dtype).toBe(dtype);
        if (c.attentionBias) expect(weights.tensors.get('layers.1.attn_k_bias')!.shape).toEqual([8]);
        if (c.qkNorm) expect(weights.tensors.get('layers.0.q_norm')!.shape).toEqual([4]);
      }
    }
  });

  it('refuses tensors whose shapes disagree with the metadata', async () => {
    expect(await refusal(mismatched({ ...SMALL, intermediateSize: 32 }, SMALL))).toBe(
      "m.gguf: tensor 'blk.0.ffn_gate.weight' has shape [24, 16] but the config implies [32, 16]",
    );
    expect(await refusal(mismatched({ ...SMALL, numKvHeads: 4 }, SMALL))).toMatch(
      /'blk.0.attn_k.weight' has shape \[8, 16\] but the config implies \[16, 16\]/,
    );
  });

  it('refuses a vocabulary that disagrees with the embedding, or with the tokenizer', async () => {
    expect(await refusal(mismatched({ ...SMALL, vocabSize: 48 }, SMALL))).toBe(
      "m.gguf: vocabulary size 48 disagrees with the embedding 'token_embd.weight' of 40 rows",
    );
    expect(await refusal(mismatched(SMALL, SMALL, 41))).toBe(
      "m.gguf: the tokenizer has 41 tokens but the model's vocabulary size is 40",
    );
    expect(await refusal(mismatched(SMALL, SMALL, 39))).toBe('accepted'); // padded embedding rows
    const noTokenizer = concatBytes(
      encodeGguf({ metadata: configToGgufMetadata(SMALL), tensors: [] }),
    );
    expect(await refusal(noTokenizer)).toMatch(/has no embedded tokenizer/);
  });

  it('refuses missing tensors and tensors the config does not account for', async () => {
    expect(await refusal(mismatched({ ...SMALL, numLayers: 3 }, SMALL))).toBe(
      "m.gguf: tensor 'blk.2.attn_norm.weight' is missing (qwen2, 3 layers)",
    );
    expect(await refusal(mismatched({ ...SMALL, numLayers: 1 }, SMALL))).toMatch(
      /tensor 'blk.1.attn_norm.weight' is not part of the model the config describes \(qwen2, 1 layers/,
    );
    expect(await refusal(mismatched(SMALL, { ...SMALL, qkNorm: true }))).toMatch(
      /tensor 'blk.0.attn_q_norm.weight' is not part of the model/,
    );
  });
});
