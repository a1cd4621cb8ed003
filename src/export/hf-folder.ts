/**
 * A merged model as a Hugging Face folder transformers' `from_pretrained` loads: `model.safetensors` (BF16, F16 or
 * F32, HF tensor names, q/k rows in HF's rotate-half order), `config.json`, `generation_config.json`, the tokenizer
 * files (the base's own, or made from a GGUF base's vocabulary) and a README.md model card.
 */
import type { AnyAdapter } from '../adapters/any-adapter';
import { configToHfJson } from '../model/config-export';
import { f32ToBf16Bytes, f32ToF16Bytes } from '../model/dtype';
import { encodeSafetensors, type SafetensorsWriteTensor } from '../model/safetensors/writer';
import { fileTensorName } from '../model/tensor-map';
import { tokenizerJsonFiles } from '../model/tokenizer/to-tokenizer-json';
import type { HfExportDtype } from './formats';
import type { ExportBase } from './merged-gguf';
import { mergedTensors } from './merged-tensors';


const DTYPES = {
  bf16: { safetensors: 'BF16', torch: 'bfloat16', encode: f32ToBf16Bytes },
  f16: { safetensors: 'F16', torch: 'float16', encode: f32ToF16Bytes },
  f32: { safetensors: 'F32', torch: 'float32', encode: (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength) },
} as const;

const json = (value: unknown): Uint8Array[] => [new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`)];

/** The merged model's safetensors parts. `adapter` must already be in the base's q/k row layout (`adaptToBase`). */
export async function mergedSafetensors(
  base: Pick<ExportBase, 'config' | 'weights'>,
  adapter: AnyAdapter | null,
  dtype: HfExportDtype,
  info: { baseName: string; adapterName: string },
): Promise<Uint8Array[]> {
  const { config } = base;
  if (config.ropeFreqsTensor) {
    throw new RangeError(
      "this GGUF base carries its RoPE scaling as a rope_freqs tensor, which a Hugging Face config.json cannot hold: export GGUF, or load the base's Hugging Face folder",
    );
  }
  const d = DTYPES[dtype];
  const tensors: SafetensorsWriteTensor[] = (await mergedTensors(config, base.weights, adapter, 'half')).map((t) => ({
    name: fileTensorName('hf', t.role, t.layer)!,
    dtype: d.safetensors,
    shape: t.shape,
    data: d.encode(t.values),
  }));
  return encodeSafetensors(tensors, {
    format: 'pt',
    'webtune.base': info.baseName,
    'webtune.adapter': info.adapterName,
  });
}

/** Every file of the folder, name → parts; `card` is the README.md text. */
export async function hfFolderFiles(
  base: ExportBase,
  adapter: AnyAdapter | null,
  dtype: HfExportDtype,
  info: { baseName: string; adapterName: string; card: string },
): Promise<Record<string, Uint8Array[]>> {
  const { config } = base;
  const generation: Record<string, unknown> = { _from_model_config: true };
  if (config.bosTokenId !== null) generation.bos_token_id = config.bosTokenId;
  if (config.eosTokenIds.length) generation.eos_token_id = config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds;
  const tokenizer = tokenizerJsonFiles(base.tokenizerSpec, base.tokenizer, base.chatTemplate);
  return {
    'model.safetensors': await mergedSafetensors(base, adapter, dtype, info),
    'config.json': json({ ...configToHfJson(config), torch_dtype: DTYPES[dtype].torch }),
    'generation_config.json': json(generation),
    'tokenizer.json': json(tokenizer.tokenizerJson),
    'tokenizer_config.json': json(tokenizer.tokenizerConfig),
    'README.md': [new TextEncoder().encode(info.card)],
  };
}
