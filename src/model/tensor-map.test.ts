import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFromHf } from './config';
import { floatBytesToF32 } from './dtype';
import { openGgufModel } from './gguf/model';
import { readHfFolder } from './hf/folder';
import { closeSources, fileSource, folderSources } from './source-node';
import { canonicalKey, expectedTensors, fileTensorName, parseTensorName, type LayerRole } from './tensor-map';

const MODELS = fileURLToPath(new URL('../../../shared/models/', import.meta.url));

describe('tensor names', () => {
  it('maps canonical names to GGUF and HF spellings and back', () => {
    expect(fileTensorName('gguf', 'attn_o', 3)).toBe('blk.3.attn_output.weight');
    expect(fileTensorName('hf', 'attn_o', 3)).toBe('model.layers.3.self_attn.o_proj.weight');
    expect(fileTensorName('gguf', 'attn_q_bias', 0)).toBe('blk.0.attn_q.bias');
    expect(fileTensorName('hf', 'k_norm', 11)).toBe('model.layers.11.self_attn.k_norm.weight');
    expect(fileTensorName('hf', 'ffn_norm', 0)).toBe('model.layers.0.post_attention_layernorm.weight');
    expect(fileTensorName('hf', 'output')).toBe('lm_head.weight');
    expect(fileTensorName('hf', 'rope_freqs')).toBeNull();
    expect(canonicalKey('ffn_up', 2)).toBe('layers.2.ffn_up');
    const roles: LayerRole[] = ['attn_norm', 'attn_q', 'attn_k', 'attn_v', 'attn_o', 'attn_q_bias', 'attn_k_bias', 'attn_v_bias', 'q_norm', 'k_norm', 'ffn_norm', 'ffn_gate', 'ffn_up', 'ffn_down'];
    for (const format of ['gguf', 'hf'] as const) {
      for (const role of roles) expect(parseTensorName(format, fileTensorName(format, role, 7)!)).toEqual({ role, layer: 7 });
      for (const role of ['token_embd', 'output_norm', 'output'] as const) {
        expect(parseTensorName(format, fileTensorName(format, role)!)).toEqual({ role });
      }
    }
    expect(parseTensorName('hf', 'model.layers.x.mlp.up_proj.weight')).toBeNull();
    expect(parseTensorName('hf', 'model.layers.0.self_attn.rotary_emb.inv_freq')).toBeNull();
    expect(parseTensorName('gguf', 'blk.0.ffn_gate_exps.weight')).toBeNull();
  });

  it('expected shapes follow the config: SmolLM2-135M has 272 tensors and 134.5M parameters', async () => {
    const { readFileSync } = await import('node:fs');
    const c = configFromHf(JSON.parse(readFileSync(`${MODELS}SmolLM2-135M-Instruct-tokenizer/config.json`, 'utf8')));
    const tensors = expectedTensors(c);
    expect(tensors).toHaveLength(2 + 30 * 9);
    expect(tensors.find((t) => t.key === 'layers.0.attn_k')!.shape).toEqual([192, 576]);
    expect(tensors.find((t) => t.key === 'layers.29.ffn_down')!.shape).toEqual([576, 1536]);
    const params = tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    expect(params).toBe(134_515_008);
  });
});

describe('stories260K: the same weights in both formats', () => {
  it('matches tensor for tensor; q/k rows differ exactly by the interleaved ↔ half RoPE permutation', async () => {
    const source = await fileSource(`${MODELS}stories260K/stories260K.gguf`);
    const files = await folderSources(`${MODELS}stories260K/hf`);
    const gguf = await openGgufModel(source);
    const hf = await readHfFolder(files);
    expect(gguf.config.ropeLayout).toBe('interleaved');
    expect(hf.config.ropeLayout).toBe('half');
    const values = async (ref: { read(): Promise<Uint8Array> }) => floatBytesToF32((await ref.read()).slice(), 'F32');
    const hd = hf.config.headDim;
    for (const [key, hfRef] of hf.weights.tensors) {
      const a = await values(gguf.weights.tensors.get(key)!);
      const b = await values(hfRef);
      expect(a.length).toBe(b.length);
      const role = key.split('.').pop();
      if (role !== 'attn_q' && role !== 'attn_k') {
        expect(a.every((v, i) => v === b[i])).toBe(true); // (toEqual on typed arrays is slow)
        continue;
      }
      // Row h·hd + 2i + j of the GGUF weight is row h·hd + j·hd/2 + i of the HF weight.
      const cols = hf.config.hiddenSize;
      const rows = a.length / cols;
      let mismatches = 0;
      for (let r = 0; r < rows; r++) {
        const h = Math.floor(r / hd);
        const i = Math.floor((r % hd) / 2);
        const j = r % 2;
        const hfRow = h * hd + j * (hd / 2) + i;
        for (let c = 0; c < cols; c++) if (a[r * cols + c] !== b[hfRow * cols + c]) mismatches++;
      }
      expect(mismatches).toBe(0);
    }
    // The GGUF's untied output.weight is a copy of the embedding.
    const output = await values(gguf.weights.tensors.get('output')!);
    const embd = await values(hf.weights.tensors.get('token_embd')!);
    expect(output.every((v, i) => v === embd[i])).toBe(true);
    await source.close?.();
    await closeSources(files.values());
  });
});
