/**
 * Hugging Face PEFT adapters: a folder with `adapter_config.json` and `adapter_model.safetensors`, loadable by
 * `PeftModel.from_pretrained(base, folder)` and by llama.cpp's convert_lora_to_gguf.py.
 *
 * Tensors: `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight` [r, in] and `...lora_B.weight`
 * [out, r] (PEFT drops the adapter name "default" when saving), and with use_dora `...lora_magnitude_vector` [out]
 * (PEFT also drops its DoRA module's ".weight"), F32 here. Rows are always in HF order (PEFT runs
 * on HF checkpoints, rotate-half RoPE), so an adapter trained on a GGUF llama base has its q/k B rows permuted back
 * on export. The config is the set of keys PEFT itself writes, sorted and indented as PEFT writes them; keys from
 * recent PEFT versions are left out because older versions refuse unknown keys. The base fingerprint rides in the
 * safetensors `__metadata__` (`webtune.base`), where PEFT ignores it.
 */
import { ARCHITECTURES, type ModelConfig } from '../model/config';
import { floatBytesToF32 } from '../model/dtype';
import { ModelFormatError } from '../model/errors';
import { topLevelFiles } from '../model/hf/folder';
import { readSafetensors, readSafetensorsTensorBytes } from '../model/safetensors/reader';
import { encodeSafetensors } from '../model/safetensors/writer';
import { type ByteSource, readJson } from '../model/source';
import { assembleLayers, type FoundPair, type RecordedBase } from './assemble';
import { adaptToBase } from './fit';
import { LORA_TARGETS, type LoraTarget } from '../model/lora-targets';
import {
  type LoraAdapter,
  type LoraAdapterConfig,
  type LoraBaseShape,
  validateLoraAdapter,
  withRowLayout,
} from './lora-weights';

export const PEFT_CONFIG_FILE = 'adapter_config.json';
export const PEFT_WEIGHTS_FILE = 'adapter_model.safetensors';
/** The safetensors metadata key of the base fingerprint (PEFT ignores it). */
export const BASE_METADATA_KEY = 'webtune.base';

/** Each target's module path inside a Llama layer, as PEFT's tensor names spell it. */
export const HF_MODULES: Record<LoraTarget, string> = {
  q: 'self_attn.q_proj',
  k: 'self_attn.k_proj',
  v: 'self_attn.v_proj',
  o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj',
  up: 'mlp.up_proj',
  down: 'mlp.down_proj',
};
const TARGET_BY_MODULE = new Map(LORA_TARGETS.map((t) => [HF_MODULES[t].split('.')[1], t]));
// lora_A / lora_B, and DoRA's magnitude, which PEFT saves without its module's '.weight' (older PEFT had none).
const TENSOR_NAME =
  /^base_model\.model\.model\.layers\.(\d+)\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.(?:lora_([AB])\.weight|lora_magnitude_vector(?:\.weight)?)$/;

/** PEFT's module name for a target (`q_proj`), as listed in target_modules. */
export function peftModuleName(target: LoraTarget): string {
  return HF_MODULES[target].split('.')[1];
}

export function peftTensorName(layer: number, target: LoraTarget, side: 'a' | 'b' | 'm'): string {
  const module = `base_model.model.model.layers.${layer}.${HF_MODULES[target]}`;
  return side === 'm' ? `${module}.lora_magnitude_vector` : `${module}.lora_${side === 'a' ? 'A' : 'B'}.weight`;
}

/** adapter_config.json as PEFT writes it for a LoRA (or DoRA) on a causal LM. */
export function peftAdapterConfig(config: LoraAdapterConfig): Record<string, unknown> {
  const json: Record<string, unknown> = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: config.baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: config.r,
    rank_pattern: {},
    revision: null,
    target_modules: config.targets.map(peftModuleName),
    task_type: 'CAUSAL_LM',
    use_dora: config.useDora,
    use_rslora: config.useRslora,
  };
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Both files of the adapter folder, as parts for `new Blob(parts)`. */
export function exportPeft(adapter: LoraAdapter): Record<typeof PEFT_CONFIG_FILE | typeof PEFT_WEIGHTS_FILE, Uint8Array[]> {
  validateLoraAdapter(adapter);
  const hf = withRowLayout(adapter, 'half');
  const tensors = hf.layers.flatMap((layer, l) =>
    hf.config.targets.flatMap((t) => {
      const p = layer[t]!;
      const bytes = (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return [
        { name: peftTensorName(l, t, 'a'), dtype: 'F32' as const, shape: [hf.config.r, p.inFeatures], data: bytes(p.a) },
        { name: peftTensorName(l, t, 'b'), dtype: 'F32' as const, shape: [p.outFeatures, hf.config.r], data: bytes(p.b) },
        ...(p.magnitude ? [{ name: peftTensorName(l, t, 'm'), dtype: 'F32' as const, shape: [p.outFeatures], data: bytes(p.magnitude) }] : []),
      ];
    }),
  );
  const text = `${JSON.stringify(peftAdapterConfig(hf.config), null, 2)}\n`;
  return {
    [PEFT_CONFIG_FILE]: [new TextEncoder().encode(text)],
    [PEFT_WEIGHTS_FILE]: encodeSafetensors(tensors, { format: 'pt', [BASE_METADATA_KEY]: JSON.stringify(hf.config.base) }),
  };
}

export interface AdapterImportOptions {
  /** The base the adapter will be attached to: checked to fit, and q/k rows reordered to its RoPE layout. */
  base?: { config: ModelConfig; name: string };
}

/**
 * The two files of a PEFT adapter folder, whatever its method: adapter_config.json read as a JSON object (its file
 * name for messages) and the safetensors source. Refuses a missing file (naming PyTorch's .bin when that is what
 * the folder holds) or a config that is not an object.
 */
export async function readPeftFolder(
  files: ReadonlyMap<string, ByteSource>,
): Promise<{ config: Record<string, unknown>; configName: string; weights: ByteSource }> {
  const top = topLevelFiles(files);
  const configSource = top.get(PEFT_CONFIG_FILE) ?? missing('adapter folder', PEFT_CONFIG_FILE);
  const weights =
    top.get(PEFT_WEIGHTS_FILE) ??
    (top.has('adapter_model.bin')
      ? missing('adapter folder', `${PEFT_WEIGHTS_FILE} (PyTorch adapter_model.bin is not supported)`)
      : missing('adapter folder', PEFT_WEIGHTS_FILE));
  const json = await readJson(configSource);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelFormatError(configSource.name, 'is not a JSON object');
  return { config: json as Record<string, unknown>, configName: configSource.name, weights };
}

/** A PEFT adapter folder (file name → source; a dropped folder's paths are fine). */
export async function importPeft(files: ReadonlyMap<string, ByteSource>, options: AdapterImportOptions = {}): Promise<LoraAdapter> {
  const { config, configName, weights: weightsSource } = await readPeftFolder(files);
  const settings = parseAdapterConfig(config, configName);

  const file = await readSafetensors(weightsSource);
  const fail = (problem: string): never => {
    throw new ModelFormatError(weightsSource.name, problem);
  };
  const found = new Map<number, Map<LoraTarget, FoundPair>>();
  for (const info of file.tensors) {
    const m = TENSOR_NAME.exec(info.name);
    const target = m && TARGET_BY_MODULE.get(m[2].split('.')[1]);
    if (!m || !target) {
      fail(`tensor '${info.name}' is not the lora_A/lora_B/lora_magnitude_vector of a q/k/v/o/gate/up/down projection (webtune supports no other)`);
    }
    const layer = Number(m![1]);
    if (settings.targetRegex && !settings.targetRegex.test(`model.layers.${layer}.${m![2]}`)) {
      fail(`tensor '${info.name}' is for a module that target_modules '${settings.targetRegex.source}' does not match`);
    }
    const byTarget = found.get(layer) ?? found.set(layer, new Map()).get(layer)!;
    const pair = byTarget.get(target!) ?? byTarget.set(target!, {}).get(target!)!;
    const side = m![3] === 'A' ? 'a' : m![3] === 'B' ? 'b' : 'm';
    if (pair[side]) fail(`tensor '${info.name}' appears twice`);
    pair[side] = {
      name: info.name,
      shape: info.shape,
      read: async () => floatBytesToF32((await readSafetensorsTensorBytes(file, info)).slice(), info.dtype),
    };
  }
  const targets = settings.targets ?? LORA_TARGETS.filter((t) => [...found.values()].some((byTarget) => byTarget.has(t)));
  const recorded = parseBaseShape(file.metadata[BASE_METADATA_KEY], weightsSource.name);
  const { layers, base } = await assembleLayers({
    file: weightsSource.name,
    r: settings.r,
    targets,
    base: recorded ?? { ...UNKNOWN_BASE, numLayers: null },
    found,
    dora: settings.useDora,
    nameOf: peftTensorName,
  });
  const adapter: LoraAdapter = {
    config: {
      r: settings.r,
      alpha: settings.alpha,
      useRslora: settings.useRslora,
      dropout: settings.dropout,
      useDora: settings.useDora,
      targets,
      baseModel: settings.baseModel,
      base,
    },
    layers,
    rowLayout: 'half',
  };
  validateLoraAdapter(adapter);
  return options.base ? adaptToBase(adapter, options.base.config, options.base.name) : adapter;
}

function missing(label: string, what: string): never {
  throw new ModelFormatError(label, `${what} is missing`);
}

/** A base of which an adapter file records nothing but what its tensors show. */
export const UNKNOWN_BASE: Omit<LoraBaseShape, 'numLayers'> = {
  architecture: null,
  hiddenSize: null,
  intermediateSize: null,
  numHeads: null,
  numKvHeads: null,
  headDim: null,
  vocabSize: null,
};

interface PeftSettings {
  r: number;
  alpha: number;
  dropout: number;
  useRslora: boolean;
  useDora: boolean;
  baseModel: string;
  /** null: the targets are whatever projections the tensors adapt (target_modules was a pattern). */
  targets: LoraTarget[] | null;
  targetRegex: RegExp | null;
}

function parseAdapterConfig(json: unknown, file: string): PeftSettings {
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('is not a JSON object');
  const c = json as Record<string, unknown>;
  if (c.peft_type !== 'LORA') fail(`peft_type ${JSON.stringify(c.peft_type)} is not supported (LORA only)`);
  const r = c.r ?? 8; // PEFT's defaults where a key is absent
  if (!Number.isSafeInteger(r) || (r as number) <= 0) fail(`'r' is ${JSON.stringify(c.r)}, expected a positive integer`);
  const alpha = c.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !(alpha > 0) || !Number.isFinite(alpha)) fail(`'lora_alpha' is ${JSON.stringify(alpha)}, expected a positive number`);
  const dropout = c.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) fail(`'lora_dropout' is ${JSON.stringify(dropout)}, expected 0 <= dropout < 1`);
  const flag = (key: string): boolean => {
    const v = c[key] ?? false;
    if (typeof v !== 'boolean') fail(`'${key}' is ${JSON.stringify(v)}, expected true or false`);
    return v as boolean;
  };
  const unsupported = (key: string, why: string) => fail(`'${key}' is ${JSON.stringify(c[key])}: ${why} is not supported`);
  if (flag('fan_in_fan_out')) unsupported('fan_in_fan_out', 'a transposed (Conv1D) layout');
  if (flag('lora_bias')) unsupported('lora_bias', 'a LoRA bias');
  if ((c.bias ?? 'none') !== 'none') unsupported('bias', 'training biases');
  for (const key of ['rank_pattern', 'alpha_pattern']) {
    const v = c[key];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Object.keys(v).length > 0)) unsupported(key, 'a per-module rank or alpha');
  }
  if (c.layers_to_transform !== undefined && c.layers_to_transform !== null) unsupported('layers_to_transform', 'adapting only some layers');
  if (Array.isArray(c.modules_to_save) && c.modules_to_save.length > 0) unsupported('modules_to_save', 'saving whole modules');
  const base = c.base_model_name_or_path ?? '';
  if (typeof base !== 'string') fail(`'base_model_name_or_path' is ${JSON.stringify(base)}, expected a string`);

  let targets: LoraTarget[] | null = null;
  let targetRegex: RegExp | null = null;
  const tm = c.target_modules;
  if (Array.isArray(tm)) {
    const set = new Set<LoraTarget>();
    for (const entry of tm) {
      // PEFT matches a listed name as a suffix of the module path ("self_attn.q_proj" and "q_proj" alike).
      const t = typeof entry === 'string' ? TARGET_BY_MODULE.get(entry.split('.').pop()!) : undefined;
      if (!t) {
        fail(`target module ${JSON.stringify(entry)} is not supported (${LORA_TARGETS.map(peftModuleName).join(', ')})`);
      }
      set.add(t!);
    }
    targets = LORA_TARGETS.filter((t) => set.has(t));
  } else if (typeof tm === 'string') {
    // A pattern PEFT full-matched against module paths; 'all-linear' was expanded by PEFT but may be saved as is.
    if (tm !== 'all-linear') {
      try {
        targetRegex = new RegExp(`^(?:${tm})$`);
      } catch (e) {
        fail(`target_modules pattern ${JSON.stringify(tm)} is not a valid regular expression (${(e as Error).message})`);
      }
    }
  } else {
    fail(`'target_modules' is ${JSON.stringify(tm)}, expected a list of module names`);
  }
  if (targets?.length === 0) fail('target_modules is empty');
  return {
    r: r as number,
    alpha: alpha as number,
    dropout: dropout as number,
    useRslora: flag('use_rslora'),
    useDora: flag('use_dora'),
    baseModel: base as string,
    targets,
    targetRegex,
  };
}

/** The base fingerprint of an adapter's safetensors metadata (`webtune.base`), each field checked; null when absent. */
export function parseBaseShape(text: string | undefined, file: string): RecordedBase | null {
  if (text === undefined) return null;
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, `metadata '${BASE_METADATA_KEY}' ${problem}`);
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    fail('is not JSON');
  }
  if (typeof v !== 'object' || v === null) return fail('is not a JSON object');
  const o = v as Record<string, unknown>;
  const size = (key: keyof LoraBaseShape): number | null => {
    const x = o[key] ?? null;
    if (x !== null && (!Number.isSafeInteger(x) || (x as number) <= 0)) fail(`field '${key}' is ${JSON.stringify(x)}`);
    return x as number | null;
  };
  const arch = o.architecture ?? null;
  if (arch !== null && !ARCHITECTURES.includes(arch as never)) fail(`architecture ${JSON.stringify(arch)} is not supported`);
  return {
    architecture: arch as LoraBaseShape['architecture'],
    hiddenSize: size('hiddenSize'),
    intermediateSize: size('intermediateSize'),
    numLayers: size('numLayers'),
    numHeads: size('numHeads'),
    numKvHeads: size('numKvHeads'),
    headDim: size('headDim'),
    vocabSize: size('vocabSize'),
  };
}
