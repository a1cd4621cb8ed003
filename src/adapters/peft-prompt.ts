/**
 * Hugging Face PEFT's prompt-tuning adapters: `adapter_config.json` with peft_type "PROMPT_TUNING",
 * num_virtual_tokens, token_dim, prompt_tuning_init (and its text), and `adapter_model.safetensors` with one tensor,
 * `prompt_embeddings` [num_virtual_tokens, token_dim] (PEFT's get_peft_model_state_dict), F32 here. A causal LM has
 * one transformer submodule, so PEFT's rows are exactly the P virtual tokens. As for LoRA (peft.ts): sorted keys
 * as PEFT writes them and the base fingerprint in the safetensors metadata.
 */
import type { ModelConfig } from '../model/config';
import { floatBytesToF32 } from '../model/dtype';
import { ModelFormatError } from '../model/errors';
import { readSafetensors, readSafetensorsTensorBytes } from '../model/safetensors/reader';
import { encodeSafetensors } from '../model/safetensors/writer';
import type { ByteSource } from '../model/source';
import type { LoraBaseShape } from './lora-weights';
import { BASE_METADATA_KEY, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, parseBaseShape, readPeftFolder, UNKNOWN_BASE } from './peft';
import { type PromptAdapter, type PromptInit, promptOnBase, validatePromptAdapter } from './prompt-weights';

export const PROMPT_TENSOR = 'prompt_embeddings';
const INITS: readonly PromptInit[] = ['TEXT', 'SAMPLE_VOCAB', 'RANDOM'];

/** adapter_config.json as PEFT writes it for prompt tuning on a causal LM. */
export function peftPromptConfig(adapter: PromptAdapter): Record<string, unknown> {
  const { config } = adapter;
  const json: Record<string, unknown> = {
    auto_mapping: null,
    base_model_name_or_path: config.baseModel,
    inference_mode: true,
    num_attention_heads: config.base.numHeads,
    num_layers: config.base.numLayers,
    num_transformer_submodules: 1,
    num_virtual_tokens: config.virtualTokens,
    peft_type: 'PROMPT_TUNING',
    prompt_tuning_init: config.init,
    prompt_tuning_init_text: config.initText,
    revision: null,
    task_type: 'CAUSAL_LM',
    token_dim: config.tokenDim,
    tokenizer_kwargs: null,
    tokenizer_name_or_path: config.init === 'TEXT' ? config.baseModel : null,
  };
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Both files of the adapter folder, as parts for `new Blob(parts)`. */
export function exportPeftPrompt(adapter: PromptAdapter): Record<typeof PEFT_CONFIG_FILE | typeof PEFT_WEIGHTS_FILE, Uint8Array[]> {
  validatePromptAdapter(adapter);
  const e = adapter.embeddings;
  const tensor = {
    name: PROMPT_TENSOR,
    dtype: 'F32' as const,
    shape: [adapter.config.virtualTokens, adapter.config.tokenDim],
    data: new Uint8Array(e.buffer, e.byteOffset, e.byteLength),
  };
  return {
    [PEFT_CONFIG_FILE]: [new TextEncoder().encode(`${JSON.stringify(peftPromptConfig(adapter), null, 2)}\n`)],
    [PEFT_WEIGHTS_FILE]: encodeSafetensors([tensor], { format: 'pt', [BASE_METADATA_KEY]: JSON.stringify(adapter.config.base) }),
  };
}

const positiveInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** A PEFT prompt-tuning folder (file name → source). With `base`, its width is checked against the base's. */
export async function importPeftPrompt(
  files: ReadonlyMap<string, ByteSource>,
  options: { base?: { config: ModelConfig; name: string } } = {},
): Promise<PromptAdapter> {
  const { config: c, configName: cfgFile, weights: weightsSource } = await readPeftFolder(files);
  const refuse = (problem: string): never => {
    throw new ModelFormatError(cfgFile, problem);
  };
  if (c.peft_type !== 'PROMPT_TUNING') refuse(`peft_type ${JSON.stringify(c.peft_type)} is not PROMPT_TUNING`);
  if (c.task_type !== undefined && c.task_type !== null && c.task_type !== 'CAUSAL_LM') {
    refuse(`task_type ${JSON.stringify(c.task_type)} is not supported (CAUSAL_LM only)`);
  }
  const submodules = c.num_transformer_submodules ?? 1;
  if (submodules !== 1) refuse(`num_transformer_submodules is ${JSON.stringify(submodules)}: only a decoder-only model's 1 is supported`);
  if (!positiveInteger(c.num_virtual_tokens)) refuse(`num_virtual_tokens is ${JSON.stringify(c.num_virtual_tokens)}, expected a positive integer`);
  if (!positiveInteger(c.token_dim)) refuse(`token_dim is ${JSON.stringify(c.token_dim)}, expected a positive integer`);
  const init = (c.prompt_tuning_init ?? 'RANDOM') as PromptInit;
  if (!INITS.includes(init)) refuse(`prompt_tuning_init ${JSON.stringify(c.prompt_tuning_init)} is not one of ${INITS.join(', ')}`);
  if (Array.isArray(c.modules_to_save) && c.modules_to_save.length > 0) {
    refuse(`'modules_to_save' is ${JSON.stringify(c.modules_to_save)}: saving whole modules is not supported`);
  }
  const virtualTokens = c.num_virtual_tokens as number;
  const tokenDim = c.token_dim as number;

  const file = await readSafetensors(weightsSource);
  const fail = (problem: string): never => {
    throw new ModelFormatError(weightsSource.name, problem);
  };
  const others = file.tensors.filter((t) => t.name !== PROMPT_TENSOR);
  if (others.length > 0) fail(`tensor '${others[0].name}' is not part of a prompt-tuning adapter (only '${PROMPT_TENSOR}')`);
  const info = file.tensors.find((t) => t.name === PROMPT_TENSOR) ?? fail(`tensor '${PROMPT_TENSOR}' is missing`);
  if (info.shape.length !== 2 || info.shape[0] !== virtualTokens || info.shape[1] !== tokenDim) {
    fail(`tensor '${PROMPT_TENSOR}' has shape [${info.shape.join(', ')}], but the config says [${virtualTokens}, ${tokenDim}]`);
  }
  const embeddings = floatBytesToF32((await readSafetensorsTensorBytes(file, info)).slice(), info.dtype);
  const recorded = parseBaseShape(file.metadata[BASE_METADATA_KEY], weightsSource.name);
  const numLayers = recorded?.numLayers ?? (positiveInteger(c.num_layers) ? (c.num_layers as number) : 0);
  const base: LoraBaseShape = recorded ? { ...recorded, numLayers } : { ...UNKNOWN_BASE, numLayers };
  const adapter: PromptAdapter = {
    config: {
      virtualTokens,
      tokenDim,
      init,
      initText: typeof c.prompt_tuning_init_text === 'string' ? c.prompt_tuning_init_text : null,
      baseModel: typeof c.base_model_name_or_path === 'string' ? c.base_model_name_or_path : '',
      base,
    },
    embeddings,
  };
  try {
    validatePromptAdapter(adapter);
  } catch (error) {
    fail((error as Error).message);
  }
  return options.base ? promptOnBase(adapter, options.base.config, options.base.name) : adapter;
}
