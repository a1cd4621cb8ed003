/**
 * llama.cpp LoRA adapters (`llama-cli --lora file.gguf`), in the layout convert_lora_to_gguf.py writes and
 * llama-adapter.cpp loads:
 *
 *   general.type = "adapter", general.architecture = the base's (llama.cpp refuses a mismatch),
 *   adapter.type = "lora", adapter.lora.alpha: f32
 *   blk.N.<attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down>.weight.lora_a   ne [in, r]  (= A [r, in])
 *   blk.N.<...>.weight.lora_b                                                         ne [r, out] (= B [out, r])
 *
 * llama.cpp checks a.ne[0] = W.ne[0] (in), b.ne[1] = W.ne[1] (out), a.ne[1] = b.ne[0] (r), and scales by
 * alpha / b.ne[0] (alpha 0 or absent: scale 1). The converter passes PEFT's A and B through unchanged except that
 * it applies the base's q/k row permutation to B, so for llama/mistral the q/k B rows are in interleaved order.
 *
 * rsLoRA has no key: llama.cpp always divides by r. Writing alpha' = alpha·√r makes alpha'/r = alpha/√r, the rsLoRA
 * scale. (convert_lora_to_gguf.py ignores use_rslora and so gets such adapters' scale wrong by √r.) The original
 * alpha, the rsLoRA flag and the dropout go in `webtune.lora.*` keys, which llama.cpp ignores, so a webtune round
 * trip is exact; the base fingerprint uses the standard `<arch>.*` model keys.
 */
import { ARCHITECTURES, type Architecture, type ModelConfig, type RopeLayout } from '../model/config';
import { floatBytesToF32 } from '../model/dtype';
import { ModelFormatError } from '../model/errors';
import { readGguf, readTensorBytes } from '../model/gguf/reader';
import type { GgufMetadata } from '../model/gguf/metadata';
import type { GgufEntry, GgufFile, GgufTensorInfo } from '../model/gguf/types';
import { encodeGguf, gguf, type GgufWriteTensor } from '../model/gguf/writer';
import { dequantize } from '../model/quant/dequantize';
import { quantFormatOfGgml } from '../model/quant/formats';
import type { ByteSource } from '../model/source';
import { fileTensorName, type LayerRole } from '../model/tensor-map';
import { assembleLayers, type FoundPair, type RecordedBase } from './assemble';
import { adaptToBase } from './fit';
import { LORA_TARGETS, type LoraTarget } from '../model/lora-targets';
import { type LoraAdapter, validateLoraAdapter, withRowLayout } from './lora-weights';

const ROLES: Record<LoraTarget, LayerRole> = {
  q: 'attn_q',
  k: 'attn_k',
  v: 'attn_v',
  o: 'attn_o',
  gate: 'ffn_gate',
  up: 'ffn_up',
  down: 'ffn_down',
};
const TARGET_BY_ROLE = new Map(LORA_TARGETS.map((t) => [fileTensorName('gguf', ROLES[t], 0)!.split('.')[2], t]));
const TENSOR_NAME = /^blk\.(\d+)\.(\w+)\.weight\.lora_([ab])$/;

/** `blk.3.attn_q.weight.lora_a` */
export function ggufLoraTensorName(layer: number, target: LoraTarget, side: 'a' | 'b'): string {
  return `${fileTensorName('gguf', ROLES[target], layer)}.lora_${side}`;
}

/** q/k row order llama.cpp runs an architecture with: its converter permutes llama/mistral, not Qwen. */
export function ggufRowLayout(architecture: Architecture): RopeLayout {
  return architecture === 'llama' || architecture === 'mistral' ? 'interleaved' : 'half';
}

/** The general.architecture llama.cpp gives a base of this architecture (its converter maps Mistral to llama). */
export function ggufArchitecture(architecture: Architecture): Architecture {
  return architecture === 'mistral' ? 'llama' : architecture;
}

/** adapter.lora.alpha giving llama.cpp's alpha/r the adapter's scale (rsLoRA folded in). */
export function ggufLoraAlpha(config: { r: number; alpha: number; useRslora: boolean }): number {
  return config.useRslora ? config.alpha * Math.sqrt(config.r) : config.alpha;
}

export function exportGgufLora(adapter: LoraAdapter, options: { name?: string } = {}): Uint8Array[] {
  validateLoraAdapter(adapter);
  const { config } = adapter;
  if (config.useDora) {
    // llama.cpp's LoRA adapters are pairs only (W + scale·B·A): DoRA's per-row renormalisation has no GGUF form.
    throw new RangeError(
      `LoRA adapter for '${config.baseModel}': a DoRA adapter has no llama.cpp LoRA form; export the merged model as GGUF instead`,
    );
  }
  const arch = config.base.architecture;
  if (arch === null) {
    throw new RangeError(`LoRA adapter for '${config.baseModel}': the base architecture is unknown (attach it to a base before exporting GGUF)`);
  }
  const ordered = withRowLayout(adapter, ggufRowLayout(arch));
  // llama.cpp refuses an adapter whose architecture differs from the model's, and it runs Mistral as 'llama'.
  const ggufArch = ggufArchitecture(arch);
  const metadata: [string, GgufEntry][] = [
    ['general.architecture', gguf.string(ggufArch)],
    ['general.type', gguf.string('adapter')],
    ['general.name', gguf.string(options.name ?? `${config.baseModel || arch} LoRA`)],
    ['adapter.type', gguf.string('lora')],
    ['adapter.lora.alpha', gguf.f32(ggufLoraAlpha(config))],
    ['webtune.lora.alpha', gguf.f64(config.alpha)],
    ['webtune.lora.use_rslora', gguf.bool(config.useRslora)],
    ['webtune.lora.dropout', gguf.f64(config.dropout)],
  ];
  if (config.baseModel) {
    metadata.push(['general.base_model.count', gguf.u32(1)], ['general.base_model.0.name', gguf.string(config.baseModel)]);
  }
  for (const [key, value] of baseKeys(ggufArch)) {
    const v = config.base[value];
    if (v !== null) metadata.push([key, gguf.u32(v as number)]);
  }
  const tensors: GgufWriteTensor[] = ordered.layers.flatMap((layer, l) =>
    config.targets.flatMap((t) => {
      const p = layer[t]!;
      const bytes = (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return [
        { name: ggufLoraTensorName(l, t, 'a'), shape: [config.r, p.inFeatures], type: 'F32' as const, data: bytes(p.a) },
        { name: ggufLoraTensorName(l, t, 'b'), shape: [p.outFeatures, config.r], type: 'F32' as const, data: bytes(p.b) },
      ];
    }),
  );
  return encodeGguf({ metadata, tensors });
}

type SizeField = 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'vocabSize';
function baseKeys(arch: Architecture): [string, SizeField][] {
  return [
    [`${arch}.embedding_length`, 'hiddenSize'],
    [`${arch}.feed_forward_length`, 'intermediateSize'],
    [`${arch}.block_count`, 'numLayers'],
    [`${arch}.attention.head_count`, 'numHeads'],
    [`${arch}.attention.head_count_kv`, 'numKvHeads'],
    [`${arch}.attention.key_length`, 'headDim'],
    [`${arch}.vocab_size`, 'vocabSize'],
  ];
}

export interface GgufLoraImportOptions {
  /** The base the adapter will be attached to: checked to fit, and q/k rows reordered to its RoPE layout. */
  base?: { config: ModelConfig; name: string };
}

export async function importGgufLora(source: ByteSource, options: GgufLoraImportOptions = {}): Promise<LoraAdapter> {
  const file = await readGguf(source);
  const m = file.metadata;
  const fail = (problem: string): never => {
    throw new ModelFormatError(source.name, problem);
  };
  const type = m.optionalString('general.type');
  if (type !== 'adapter') fail(`general.type is ${type === undefined ? 'missing' : `'${type}'`}, expected 'adapter' (a model file, not a LoRA?)`);
  const adapterType = m.optionalString('adapter.type');
  if (adapterType !== 'lora') fail(`adapter.type is ${adapterType === undefined ? 'missing' : `'${adapterType}'`}, expected 'lora'`);
  const archName = m.string('general.architecture');
  const arch = ARCHITECTURES.find((a) => a === archName) ?? fail(`architecture '${archName}' is not supported (${ARCHITECTURES.join(', ')})`);

  const found = new Map<number, Map<LoraTarget, FoundPair>>();
  for (const info of file.tensors) {
    const match = TENSOR_NAME.exec(info.name);
    const target = match && TARGET_BY_ROLE.get(match[2]);
    if (!match || !target) fail(`tensor '${info.name}' is not the lora_a/lora_b of a q/k/v/o/gate/up/down projection (webtune supports no other)`);
    const layer = Number(match![1]);
    const byTarget = found.get(layer) ?? found.set(layer, new Map()).get(layer)!;
    const pair = byTarget.get(target!) ?? byTarget.set(target!, {}).get(target!)!;
    const side = match![3] as 'a' | 'b';
    pair[side] = { name: info.name, shape: info.shape, read: () => readValues(file, info, fail) };
  }
  const first = [...found.values()][0]?.values().next().value as FoundPair | undefined;
  const r = first?.a?.shape[0] ?? first?.b?.shape[1] ?? fail('holds no LoRA tensors');
  const targets = LORA_TARGETS.filter((t) => [...found.values()].some((byTarget) => byTarget.has(t)));

  const recorded: RecordedBase = {
    architecture: arch,
    hiddenSize: null,
    intermediateSize: null,
    numLayers: null,
    numHeads: null,
    numKvHeads: null,
    headDim: null,
    vocabSize: null,
  };
  for (const [key, field] of baseKeys(arch)) recorded[field] = m.optionalInteger(key) ?? null;
  const { layers, base } = await assembleLayers({ file: source.name, r, targets, base: recorded, found, nameOf: ggufLoraTensorName });

  const adapter: LoraAdapter = {
    config: { ...scaleSettings(m, r), useDora: false, targets, baseModel: m.optionalString('general.base_model.0.name') ?? '', base },
    layers,
    rowLayout: ggufRowLayout(arch),
  };
  validateLoraAdapter(adapter);
  return options.base ? adaptToBase(adapter, options.base.config, options.base.name) : adapter;
}

/** alpha as llama.cpp reads it, unless webtune's own keys still agree with it and give the unfolded values. */
function scaleSettings(m: GgufMetadata, r: number): { r: number; alpha: number; useRslora: boolean; dropout: number } {
  const stored = m.optionalNumber('adapter.lora.alpha') ?? 0;
  const dropout = m.optionalNumber('webtune.lora.dropout') ?? 0;
  const alpha = m.optionalNumber('webtune.lora.alpha');
  const useRslora = m.optionalBoolean('webtune.lora.use_rslora');
  if (alpha !== undefined && useRslora !== undefined && Math.fround(ggufLoraAlpha({ r, alpha, useRslora })) === stored) {
    return { r, alpha, useRslora, dropout };
  }
  // llama.cpp: alpha 0 (or absent) means scale 1, which is alpha = r.
  return { r, alpha: stored === 0 ? r : shortestF32Decimal(stored), useRslora: false, dropout };
}

/** The f32 alpha 0.1 reads back as 0.10000000149; the shortest decimal with the same f32 is what was written. */
function shortestF32Decimal(x: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const v = Number(x.toPrecision(digits));
    if (Math.fround(v) === x) return v;
  }
  return x;
}

async function readValues(file: GgufFile, info: GgufTensorInfo, fail: (p: string) => never): Promise<Float32Array> {
  const bytes = (await readTensorBytes(file, info)).slice();
  const name = info.type.name;
  if (name === 'F32' || name === 'F16' || name === 'BF16') return floatBytesToF32(bytes, name);
  const quant = quantFormatOfGgml(name) ?? fail(`tensor '${info.name}' has type ${name}, which webtune cannot read as a LoRA`);
  return dequantize(quant, bytes, info.elementCount);
}
