/**
 * Hugging Face PEFT's IA³ adapters: `adapter_config.json` with peft_type "IA3", target_modules and
 * feedforward_modules, and `adapter_model.safetensors` with one `ia3_l` per module —
 * `base_model.model.model.layers.N.self_attn.k_proj.ia3_l` of shape [out, 1], or [1, in] for a feed-forward
 * module (PEFT's IA3Layer.update_layer), F32 here. As for LoRA (peft.ts): HF row order for q/k, the keys PEFT
 * itself writes, sorted, and the base fingerprint in the safetensors metadata.
 */
import type { ModelConfig } from '../model/config';
import { floatBytesToF32 } from '../model/dtype';
import { ModelFormatError } from '../model/errors';
import { LORA_TARGETS, type LoraTarget } from '../model/lora-targets';
import { readSafetensors, readSafetensorsTensorBytes } from '../model/safetensors/reader';
import { encodeSafetensors } from '../model/safetensors/writer';
import type { ByteSource } from '../model/source';
import { ia3Side, ia3WithRowLayout, validateIa3Adapter, type Ia3Adapter } from './ia3-weights';
import { AdapterMismatchError } from './fit';
import { baseShapeOf, type LoraBaseShape } from './lora-weights';
import { BASE_METADATA_KEY, HF_MODULES, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, parseBaseShape, readPeftFolder, peftModuleName, UNKNOWN_BASE } from './peft';

const TARGET_BY_MODULE = new Map(LORA_TARGETS.map((t) => [peftModuleName(t), t]));
const TENSOR_NAME = /^base_model\.model\.model\.layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.ia3_l$/;

export function peftIa3TensorName(layer: number, target: LoraTarget): string {
  return `base_model.model.model.layers.${layer}.${HF_MODULES[target]}.ia3_l`;
}

/** adapter_config.json as PEFT writes it for IA³ on a causal LM. */
export function peftIa3Config(adapter: Ia3Adapter): Record<string, unknown> {
  const json: Record<string, unknown> = {
    auto_mapping: null,
    base_model_name_or_path: adapter.config.baseModel,
    fan_in_fan_out: false,
    feedforward_modules: adapter.config.feedforward.map(peftModuleName),
    inference_mode: true,
    init_ia3_weights: true,
    modules_to_save: null,
    peft_type: 'IA3',
    revision: null,
    target_modules: adapter.config.targets.map(peftModuleName),
    task_type: 'CAUSAL_LM',
  };
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Both files of the adapter folder, as parts for `new Blob(parts)`; q/k vectors in HF row order. */
export function exportPeftIa3(
  adapter: Ia3Adapter,
  heads: { numHeads: number; numKvHeads: number },
): Record<typeof PEFT_CONFIG_FILE | typeof PEFT_WEIGHTS_FILE, Uint8Array[]> {
  validateIa3Adapter(adapter);
  const hf = ia3WithRowLayout(adapter, 'half', heads);
  const tensors = hf.layers.flatMap((layer, l) =>
    hf.config.targets.map((t) => {
      const v = layer[t]!;
      const shape = ia3Side(hf.config, t) === 'input' ? [1, v.length] : [v.length, 1];
      return { name: peftIa3TensorName(l, t), dtype: 'F32' as const, shape, data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
    }),
  );
  return {
    [PEFT_CONFIG_FILE]: [new TextEncoder().encode(`${JSON.stringify(peftIa3Config(hf), null, 2)}\n`)],
    [PEFT_WEIGHTS_FILE]: encodeSafetensors(tensors, { format: 'pt', [BASE_METADATA_KEY]: JSON.stringify(hf.config.base) }),
  };
}

/** The module list of target_modules or feedforward_modules, refused by name where webtune has no such module. */
function moduleList(c: Record<string, unknown>, key: string, file: string): LoraTarget[] {
  const v = c[key];
  if (!Array.isArray(v)) throw new ModelFormatError(file, `'${key}' is ${JSON.stringify(v)}, expected a list of module names`);
  const set = new Set<LoraTarget>();
  for (const entry of v) {
    const t = typeof entry === 'string' ? TARGET_BY_MODULE.get(entry.split('.').pop()!) : undefined;
    if (!t) throw new ModelFormatError(file, `${key} entry ${JSON.stringify(entry)} is not supported (${LORA_TARGETS.map(peftModuleName).join(', ')})`);
    set.add(t);
  }
  return LORA_TARGETS.filter((t) => set.has(t));
}

/**
 * A PEFT IA³ folder (file name → source). With `base`, the adapter is checked against it and its q/k vectors put
 * in the base's row layout.
 */
export async function importPeftIa3(
  files: ReadonlyMap<string, ByteSource>,
  options: { base?: { config: ModelConfig; name: string } } = {},
): Promise<Ia3Adapter> {
  const { config: c, configName: cfgFile, weights: weightsSource } = await readPeftFolder(files);
  if (c.peft_type !== 'IA3') throw new ModelFormatError(cfgFile, `peft_type ${JSON.stringify(c.peft_type)} is not IA3`);
  if (c.fan_in_fan_out === true) throw new ModelFormatError(cfgFile, "'fan_in_fan_out' is true: a transposed (Conv1D) layout is not supported");
  if (Array.isArray(c.modules_to_save) && c.modules_to_save.length > 0) {
    throw new ModelFormatError(cfgFile, `'modules_to_save' is ${JSON.stringify(c.modules_to_save)}: saving whole modules is not supported`);
  }
  const targets = moduleList(c, 'target_modules', cfgFile);
  const feedforward = c.feedforward_modules === undefined || c.feedforward_modules === null ? [] : moduleList(c, 'feedforward_modules', cfgFile);
  for (const f of feedforward) {
    if (!targets.includes(f)) throw new ModelFormatError(cfgFile, `feedforward module '${peftModuleName(f)}' is not among target_modules`);
  }
  const baseModel = typeof c.base_model_name_or_path === 'string' ? c.base_model_name_or_path : '';

  const file = await readSafetensors(weightsSource);
  const fail = (problem: string): never => {
    throw new ModelFormatError(weightsSource.name, problem);
  };
  const found = new Map<number, Map<LoraTarget, Float32Array>>();
  for (const info of file.tensors) {
    const m = TENSOR_NAME.exec(info.name);
    const target = m ? TARGET_BY_MODULE.get(m[2]) : undefined;
    if (!m || !target) fail(`tensor '${info.name}' is not the ia3_l of a q/k/v/o/gate/up/down projection (webtune supports no other)`);
    if (!targets.includes(target!)) fail(`tensor '${info.name}' is for a module not in target_modules`);
    const side = feedforward.includes(target!) ? 'input' : 'output';
    const [rows, cols] = info.shape.length === 2 ? info.shape : [0, 0];
    if (side === 'input' ? rows !== 1 : cols !== 1) {
      fail(`tensor '${info.name}' has shape [${info.shape.join(', ')}], expected ${side === 'input' ? '[1, in] (a feed-forward module)' : '[out, 1]'}`);
    }
    const byTarget = found.get(Number(m![1])) ?? found.set(Number(m![1]), new Map()).get(Number(m![1]))!;
    if (byTarget.has(target!)) fail(`tensor '${info.name}' appears twice`);
    byTarget.set(target!, floatBytesToF32((await readSafetensorsTensorBytes(file, info)).slice(), info.dtype));
  }
  const numLayers = found.size === 0 ? 0 : Math.max(...found.keys()) + 1;
  // The LoRA importer's reader of the fingerprint; IA³'s must also say how many layers its base has.
  const recorded = parseBaseShape(file.metadata[BASE_METADATA_KEY], weightsSource.name);
  if (recorded && recorded.numLayers === null) fail(`metadata '${BASE_METADATA_KEY}' has no layer count`);
  const base: LoraBaseShape = recorded ? { ...recorded, numLayers: recorded.numLayers! } : { ...UNKNOWN_BASE, numLayers };
  const layers = Array.from({ length: base.numLayers }, (_, l) => {
    const byTarget = found.get(l);
    const layer: Partial<Record<LoraTarget, Float32Array>> = {};
    for (const t of targets) {
      const v = byTarget?.get(t);
      if (!v) fail(`tensor '${peftIa3TensorName(l, t)}' is missing`);
      layer[t] = v;
    }
    return layer;
  });
  if (numLayers > base.numLayers) fail(`tensors reach layer ${numLayers - 1}, but the adapter's base has ${base.numLayers} layers`);
  const adapter: Ia3Adapter = { config: { targets, feedforward, baseModel, base }, layers, rowLayout: 'half' };
  validateIa3Adapter(adapter);
  if (!options.base) return adapter;
  return ia3OnBase(adapter, options.base.config, options.base.name);
}

/** Checks an adapter against a loaded base (layers and every vector's size) and puts q/k vectors in its layout. */
export function ia3OnBase(adapter: Ia3Adapter, config: ModelConfig, name: string): Ia3Adapter {
  const fitted: Ia3Adapter = { ...adapter, config: { ...adapter.config, base: baseShapeOf(config) } };
  if (adapter.layers.length !== config.numLayers) {
    throw new AdapterMismatchError(`IA³ adapter for '${adapter.config.baseModel}' has ${adapter.layers.length} layers; base '${name}' has ${config.numLayers}`);
  }
  try {
    validateIa3Adapter(fitted);
  } catch (error) {
    throw new AdapterMismatchError(`does not fit base '${name}': ${(error as Error).message}`);
  }
  return ia3WithRowLayout(fitted, config.ropeLayout, config);
}
