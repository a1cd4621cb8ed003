/**
 * The hand-off recipe: a webtune run written as the inputs of two distributed trainers, so the same fine-tune
 * continues on a cluster (DeepSpeed or FSDP) instead of starting over — an Axolotl config (YAML) and a TRL
 * `SFTTrainer` script with the run's base, method, rank, alpha, targets, schedule, sequence length and seed, plus
 * the run's training and validation examples in the JSONL both read (chat rows as `{"messages": [...]}`, text rows
 * as `{"text": ...}`), split exactly as the run split them. The PEFT adapter either tool saves imports back into
 * the library for Compare.
 *
 * Facts about the two tools' settings come from their documentation (Axolotl's config reference, TRL's SFTConfig);
 * where a webtune setting has no counterpart it is named in a comment, never dropped silently.
 */
import { stringify } from 'yaml';
import type { Example } from '../data/types';
import { IA3_DEFAULT } from '../model/lora-targets';
import type { TrainingConfig } from '../train/config';
import { methodRecordLabel } from '../train/settings';

/** PEFT's module names for the projections webtune adapts. */
const MODULES: Record<string, string> = { q: 'q_proj', k: 'k_proj', v: 'v_proj', o: 'o_proj', gate: 'gate_proj', up: 'up_proj', down: 'down_proj' };

export interface HandoffRun {
  /** The run's name (folders and comments). */
  name: string;
  /** The base as the other tools load it: a Hugging Face Hub id where known, else the name the studio had. */
  baseModel: string;
  config: TrainingConfig;
  /** The chat template the run rendered chat rows with (Jinja), and whether it is the model's own. */
  chatTemplate: { source: string; own: boolean };
  train: readonly Example[];
  validation: readonly Example[];
}

export const HANDOFF_FILES = { axolotl: 'axolotl.yaml', trl: 'train_trl.py', train: 'train.jsonl', validation: 'validation.jsonl', readme: 'README.md' } as const;

function row(example: Example): string {
  return JSON.stringify(example.kind === 'chat' ? { messages: example.messages.map(({ role, content }) => ({ role, content })) } : { text: example.text });
}

/** The rows of a split as JSONL, one example per line, in the run's order. */
export function handoffJsonl(examples: readonly Example[]): string {
  return examples.map((e) => `${row(e)}\n`).join('');
}

function isChat(run: HandoffRun): boolean {
  return run.train.some((e) => e.kind === 'chat');
}

/**
 * Each webtune setting's Axolotl key (null: Axolotl has none). A Record over every key of TrainingConfig, so a new
 * setting cannot join the run without a decision here; a setting with no key, or one left at a value the key does
 * not express, is named in the config's header comment.
 */
export const AXOLOTL_KEYS: Readonly<Record<keyof TrainingConfig, string | null>> = {
  method: 'adapter',
  rank: 'lora_r',
  alpha: 'lora_alpha',
  rsLora: 'peft_use_rslora',
  targets: 'lora_target_modules',
  dropout: 'lora_dropout',
  loraPlusRatio: 'loraplus_lr_ratio',
  virtualTokens: null,
  promptInit: null,
  schedule: 'lr_scheduler',
  warmupSteps: 'warmup_steps',
  minLrRatio: 'cosine_min_lr_ratio',
  batchSize: 'micro_batch_size',
  gradAccum: 'gradient_accumulation_steps',
  seqLen: 'sequence_len',
  overLength: null,
  pack: 'sample_packing',
  trainOnInputs: 'train_on_inputs',
  maxSteps: 'max_steps',
  epochs: 'num_epochs',
  shuffleWindow: null,
  valSplit: 'test_datasets',
  evalEvery: 'eval_steps',
  saveEvery: 'save_steps',
  patience: 'early_stopping_patience',
  keepBest: null,
  seed: 'seed',
  checkpointing: 'gradient_checkpointing',
  quant: 'load_in_4bit',
  learningRate: 'learning_rate',
  beta1: 'adam_beta1',
  beta2: 'adam_beta2',
  eps: 'adam_epsilon',
  weightDecay: 'weight_decay',
  maxGradNorm: 'max_grad_norm',
};

/** What a setting with no counterpart did in webtune, for the comments. */
function described(c: TrainingConfig, key: keyof TrainingConfig): string {
  const value = JSON.stringify(c[key]);
  const why: Partial<Record<keyof TrainingConfig, string>> = {
    overLength: c.overLength === 'truncate' ? 'longer examples were cut' : 'longer examples were refused',
    shuffleWindow: 'rows shuffled together',
    keepBest: c.keepBest ? 'the adapter of the best validation loss was kept' : 'the last adapter was kept',
    evalEvery: 'validation only at the end',
    saveEvery: 'checkpoint only at the end',
    patience: 'no early stopping',
    maxSteps: 'the run is set by epochs',
    epochs: 'the run is set by steps',
    minLrRatio: 'the floor of cosine decay',
    loraPlusRatio: 'one learning rate for A and B',
  };
  return `${key}: ${value}${why[key] ? ` (${why[key]})` : ''}`;
}

/** The run's length in both tools' words: a step count, or epochs. */
function length(c: TrainingConfig): { max_steps?: number; num_epochs?: number } {
  return c.maxSteps !== null ? { max_steps: c.maxSteps } : { num_epochs: c.epochs! };
}

/** webtune settings the TRL script has no argument for (the ones Axolotl lacks too, and LoRA+). */
function unmapped(c: TrainingConfig): string[] {
  const keys: (keyof TrainingConfig)[] = ['overLength', 'shuffleWindow', 'keepBest'];
  if (c.loraPlusRatio !== 1) keys.push('loraPlusRatio');
  return keys.map((k) => (k === 'loraPlusRatio' ? `loraPlusRatio: ${c.loraPlusRatio} (LoRA+: pass peft's create_loraplus_optimizer to SFTTrainer's optimizers)` : described(c, k)));
}

/** The Axolotl config (YAML). Axolotl trains LoRA, QLoRA and DoRA; IA³ and prompt tuning continue in TRL only. */
export function axolotlYaml(run: HandoffRun): string {
  const c = run.config;
  if (c.method === 'ia3' || c.method === 'prompt') {
    throw new RangeError(`Axolotl trains LoRA, QLoRA and DoRA adapters, not ${c.method === 'ia3' ? 'IA³' : 'prompt tuning'}: continue this run with the TRL script`);
  }
  const chat = isChat(run);
  const config: Record<string, unknown> = {
    base_model: run.baseModel,
    adapter: c.quant === 'nf4' ? 'qlora' : 'lora',
    load_in_4bit: c.quant === 'nf4',
    lora_r: c.rank,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    lora_target_modules: c.targets.map((t) => MODULES[t]),
    peft_use_dora: c.method === 'dora',
    peft_use_rslora: c.rsLora,
    ...(c.loraPlusRatio !== 1 ? { loraplus_lr_ratio: c.loraPlusRatio } : {}),
    datasets: [
      chat
        ? { path: HANDOFF_FILES.train, ds_type: 'json', type: 'chat_template', field_messages: 'messages', roles_to_train: c.trainOnInputs ? ['system', 'user', 'assistant'] : ['assistant'] }
        : { path: HANDOFF_FILES.train, ds_type: 'json', type: 'completion', field: 'text' },
    ],
    ...(run.validation.length
      ? { test_datasets: [{ ...(chat ? { type: 'chat_template', field_messages: 'messages' } : { type: 'completion', field: 'text' }), path: HANDOFF_FILES.validation, ds_type: 'json', split: 'train' }] }
      : { val_set_size: 0 }),
    ...(chat ? (run.chatTemplate.own ? { chat_template: 'tokenizer_default' } : { chat_template: 'jinja', chat_template_jinja: run.chatTemplate.source }) : {}),
    sequence_len: c.seqLen,
    sample_packing: c.pack,
    train_on_inputs: c.trainOnInputs,
    micro_batch_size: c.batchSize,
    gradient_accumulation_steps: c.gradAccum,
    ...length(c),
    optimizer: 'adamw_torch',
    learning_rate: c.learningRate,
    lr_scheduler: c.schedule === 'constant' ? 'constant_with_warmup' : c.schedule,
    ...(c.schedule === 'cosine' ? { cosine_min_lr_ratio: c.minLrRatio } : {}),
    warmup_steps: c.warmupSteps,
    weight_decay: c.weightDecay,
    adam_beta1: c.beta1,
    adam_beta2: c.beta2,
    adam_epsilon: c.eps,
    max_grad_norm: c.maxGradNorm,
    ...(c.evalEvery > 0 && run.validation.length ? { eval_steps: c.evalEvery } : {}),
    ...(c.saveEvery > 0 ? { save_steps: c.saveEvery } : {}),
    ...(c.patience > 0 ? { early_stopping_patience: c.patience } : {}),
    gradient_checkpointing: c.checkpointing,
    seed: c.seed,
    bf16: 'auto',
    output_dir: `./outputs/${run.name}`,
  };
  const missing = (Object.keys(AXOLOTL_KEYS) as (keyof TrainingConfig)[]).filter((k) => {
    const key = AXOLOTL_KEYS[k];
    return key === null || !(key in config);
  });
  const header = [
    `# The webtune run "${run.name}" as an Axolotl config: axolotl train ${HANDOFF_FILES.axolotl}`,
    '# On a cluster, add a DeepSpeed config (deepspeed: deepspeed_configs/zero2.json) or fsdp settings; the',
    `# adapter Axolotl saves in output_dir (adapter_config.json + adapter_model.safetensors) imports back into webtune.`,
    '# webtune settings with no Axolotl key here:',
    ...missing.map((k) => `#   ${described(c, k)}`),
  ];
  return `${header.join('\n')}\n${stringify(config, { lineWidth: 0 })}`;
}

/** A Python literal for a JSON-like value (JSON strings are Python strings; true/false/null are not). */
function py(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(', ')}}`;
}

/** Keyword arguments, one per line. */
function kwargs(args: Record<string, unknown>, indent: string): string {
  return Object.entries(args)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${indent}${k}=${typeof v === 'object' && v !== null && 'python' in v ? (v as { python: string }).python : py(v)},`)
    .join('\n');
}

/** The TRL script (Python): SFTTrainer with a PEFT config of the run's method. */
export function trlScript(run: HandoffRun): string {
  const c = run.config;
  const chat = isChat(run);
  const modules = c.targets.map((t) => MODULES[t]);
  const peft =
    c.method === 'prompt'
      ? `PromptTuningConfig(\n${kwargs({ task_type: 'CAUSAL_LM', num_virtual_tokens: c.virtualTokens, ...(c.promptInit ? { prompt_tuning_init: { python: 'PromptTuningInit.TEXT' }, prompt_tuning_init_text: c.promptInit, tokenizer_name_or_path: { python: 'BASE' } } : { prompt_tuning_init: { python: 'PromptTuningInit.RANDOM' } }) }, '    ')}\n)`
      : c.method === 'ia3'
        ? `IA3Config(\n${kwargs({ task_type: 'CAUSAL_LM', target_modules: IA3_DEFAULT.targets.map((t) => MODULES[t]), feedforward_modules: IA3_DEFAULT.feedforward.map((t) => MODULES[t]) }, '    ')}\n)`
        : `LoraConfig(\n${kwargs({ task_type: 'CAUSAL_LM', r: c.rank, lora_alpha: c.alpha, lora_dropout: c.dropout, target_modules: modules, use_dora: c.method === 'dora', use_rslora: c.rsLora }, '    ')}\n)`;
  const peftImports = c.method === 'prompt' ? 'PromptTuningConfig, PromptTuningInit' : c.method === 'ia3' ? 'IA3Config' : 'LoraConfig';
  const sft = {
    output_dir: `outputs/${run.name}`,
    learning_rate: c.learningRate,
    lr_scheduler_type: c.schedule === 'constant' ? 'constant_with_warmup' : c.schedule === 'cosine' ? 'cosine_with_min_lr' : 'linear',
    ...(c.schedule === 'cosine' ? { lr_scheduler_kwargs: { min_lr_rate: c.minLrRatio } } : {}),
    warmup_steps: c.warmupSteps,
    ...(c.maxSteps !== null ? { max_steps: c.maxSteps } : { num_train_epochs: c.epochs }),
    per_device_train_batch_size: c.batchSize,
    gradient_accumulation_steps: c.gradAccum,
    max_length: c.seqLen,
    packing: c.pack,
    ...(chat ? { assistant_only_loss: !c.trainOnInputs } : {}),
    weight_decay: c.weightDecay,
    adam_beta1: c.beta1,
    adam_beta2: c.beta2,
    adam_epsilon: c.eps,
    max_grad_norm: c.maxGradNorm,
    gradient_checkpointing: c.checkpointing,
    seed: c.seed,
    data_seed: c.seed,
    ...(run.validation.length && c.evalEvery > 0 ? { eval_strategy: 'steps', eval_steps: c.evalEvery } : {}),
    ...(c.saveEvery > 0 ? { save_strategy: 'steps', save_steps: c.saveEvery } : {}),
    ...(c.quant === 'nf4'
      ? { model_init_kwargs: { python: '{"quantization_config": BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=False)}' } }
      : {}),
  };
  const lines = [
    `"""The webtune run "${run.name}" as a TRL SFTTrainer script.`,
    '',
    `One GPU: python ${HANDOFF_FILES.trl}`,
    `A cluster: accelerate launch --config_file <deepspeed or fsdp config> ${HANDOFF_FILES.trl}`,
    'The adapter saved in output_dir (adapter_config.json + adapter_model.safetensors) imports back into webtune.',
    '',
    'webtune settings with no SFTConfig counterpart:',
    ...unmapped(c).map((s) => `  ${s}`),
    ...(c.patience > 0 ? [`  patience: ${c.patience} validations without improvement (add transformers.EarlyStoppingCallback)`] : []),
    '"""',
    'from datasets import load_dataset',
    `from peft import ${peftImports}`,
    `from transformers import AutoTokenizer${c.quant === 'nf4' ? ', BitsAndBytesConfig' : ''}`,
    'from trl import SFTConfig, SFTTrainer',
    '',
    `BASE = ${py(run.baseModel)}`,
    '',
    'tokenizer = AutoTokenizer.from_pretrained(BASE)',
    ...(chat && !run.chatTemplate.own
      ? [
          '# The template webtune rendered the chats with (the model has none of its own). The {% generation %} markers',
          '# tell TRL which tokens are the assistant\'s (assistant_only_loss).',
          `tokenizer.chat_template = ${py(withGenerationMarkers(run.chatTemplate.source))}`,
        ]
      : []),
    ...(chat && run.chatTemplate.own && !c.trainOnInputs
      ? ["# assistant_only_loss needs {% generation %} markers in the model's chat template; add them if it has none."]
      : []),
    `data_files = {"train": ${py(HANDOFF_FILES.train)}${run.validation.length ? `, "validation": ${py(HANDOFF_FILES.validation)}` : ''}}`,
    'dataset = load_dataset("json", data_files=data_files)',
    '',
    `peft_config = ${peft}`,
    '',
    `args = SFTConfig(\n${kwargs(sft, '    ')}\n)`,
    '',
    'trainer = SFTTrainer(',
    '    model=BASE,',
    '    args=args,',
    '    train_dataset=dataset["train"],',
    `    eval_dataset=${run.validation.length ? 'dataset["validation"]' : 'None'},`,
    '    processing_class=tokenizer,',
    '    peft_config=peft_config,',
    ')',
    'trainer.train()',
    'trainer.save_model(args.output_dir)',
    '',
  ];
  return lines.join('\n');
}

/** Wraps the assistant's content in TRL's {% generation %} markers, in the two default templates webtune writes. */
function withGenerationMarkers(source: string): string {
  return source
    .replace("{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}", "{% if message['role'] == 'assistant' %}{{ '<|im_start|>assistant\\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}{% else %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endif %}")
    .replace("{{ '### Assistant:\\n' + message['content'] + eos_token + '\\n\\n' }}", "{{ '### Assistant:\\n' }}{% generation %}{{ message['content'] + eos_token }}{% endgeneration %}{{ '\\n\\n' }}");
}

function readme(run: HandoffRun): string {
  const c = run.config;
  return [
    `# Continue "${run.name}" on a cluster`,
    '',
    `The webtune run as inputs of Axolotl and TRL: base \`${run.baseModel}\`, ${methodRecordLabel(c.method, c.quant)}` +
      (c.method === 'lora' || c.method === 'dora' ? `, rank ${c.rank}, alpha ${c.alpha}, targets ${c.targets.join(', ')}` : '') +
      `, learning rate ${c.learningRate} (${c.schedule}, ${c.warmupSteps} warm-up steps), sequence length ${c.seqLen}, seed ${c.seed}.`,
    '',
    `- \`${HANDOFF_FILES.train}\`: the ${run.train.length} training examples, in the run's order${run.validation.length ? `; \`${HANDOFF_FILES.validation}\`: its ${run.validation.length} held-out ones` : ''}.`,
    ...(c.method === 'ia3' || c.method === 'prompt' ? [] : [`- \`${HANDOFF_FILES.axolotl}\`: \`axolotl train ${HANDOFF_FILES.axolotl}\` (add a DeepSpeed or FSDP config for several GPUs).`]),
    `- \`${HANDOFF_FILES.trl}\`: \`accelerate launch ${HANDOFF_FILES.trl}\` (its accelerate config picks DeepSpeed or FSDP).`,
    '',
    'Either saves a PEFT adapter (adapter_config.json + adapter_model.safetensors): drop that folder on webtune\'s Adapters view (or pass it to `webtune eval --adapter`) to compare it with this run\'s.',
    '',
  ].join('\n');
}

/** Every file of the hand-off folder. */
export function handoffFiles(run: HandoffRun): Record<string, string> {
  const files: Record<string, string> = {
    [HANDOFF_FILES.readme]: readme(run),
    [HANDOFF_FILES.trl]: trlScript(run),
    [HANDOFF_FILES.train]: handoffJsonl(run.train),
  };
  if (run.validation.length) files[HANDOFF_FILES.validation] = handoffJsonl(run.validation);
  if (run.config.method !== 'ia3' && run.config.method !== 'prompt') files[HANDOFF_FILES.axolotl] = axolotlYaml(run);
  return files;
}
