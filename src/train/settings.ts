/**
 * Every training setting once: its key in TrainingConfig, its CLI flag, its label in the Train form, the values it
 * accepts and its default. The CLI's flags and --help (src/cli/setting-flags.ts), the form's fields
 * (src/ui/train/train-form.ts) and the core's checks (checkTrainingConfig) are all read from this table, so a
 * limit cannot differ between front ends. A bad value is reported as data (SettingIssue); each front end words it.
 */
import { LORA_TARGETS, type LoraTarget } from '../model/lora-targets';
import type { TrainingConfig } from './config';
import type { ScheduleKind } from './schedule';

export type SettingKey = keyof TrainingConfig;
type KeysOf<T> = { [K in SettingKey]: TrainingConfig[K] extends T ? K : never }[SettingKey];
export type NumberSettingKey = KeysOf<number | null>;
export type SwitchSettingKey = KeysOf<boolean>;
/** Settings that are free text (the rest of the string settings are choices). */
export type TextSettingKey = 'promptInit';
export type ChoiceSettingKey = Exclude<KeysOf<string>, TextSettingKey>;

/** The numbers a setting accepts; always finite (the config is stored as JSON, where Infinity is not). */
export interface NumberRange {
  integer: boolean;
  min: number;
  /** The minimum itself is refused (a learning rate must be above 0). */
  minOpen?: boolean;
  max?: number;
  maxOpen?: boolean;
}

interface SettingText {
  /** The CLI flag without dashes; null: the CLI does not offer this setting (it keeps its default). */
  flag: string | null;
  /** The flag's argument in --help ('N', 'LR'). */
  arg?: string;
  /** The --help line's description. */
  help: string;
  /** The Train form's label (its accessible name). */
  label: string;
  /** The Train form's hint under the field. */
  hint: string;
}

export interface NumberSetting<V extends number | null = number | null> extends SettingText {
  kind: 'number';
  range: NumberRange;
  default: V;
  /** null is allowed: the setting is off and another one decides (steps or epochs). */
  optional?: true;
  /** What a value is, when more than "a number" ('a fraction', 'a probability'). */
  noun?: string;
  /** What the lower end means, said with a refusal ('0 turns clipping off'). */
  note?: string;
}

export interface ChoiceSetting<V extends string = string> extends SettingText {
  kind: 'choice';
  /** Each allowed value with its label in the form, in the order shown. */
  choices: Record<V, string>;
  default: V;
}

export interface SwitchSetting extends SettingText {
  kind: 'switch';
  default: boolean;
  /** The value the CLI flag sets (false for --keep-last, which turns keepBest off). */
  flagSets: boolean;
}

export interface TextSetting extends SettingText {
  kind: 'text';
  default: string;
  /** Longest text accepted, in characters. */
  maxLength: number;
}

export interface ListSetting<V extends string = string> extends SettingText {
  kind: 'list';
  items: readonly V[];
  default: V[];
}

export type SettingSpec<K extends SettingKey> = K extends TextSettingKey
  ? TextSetting
  : TrainingConfig[K] extends boolean
  ? SwitchSetting
  : TrainingConfig[K] extends number | null
    ? NumberSetting<TrainingConfig[K]>
    : TrainingConfig[K] extends (infer I extends string)[]
      ? ListSetting<I>
      : TrainingConfig[K] extends string
        ? ChoiceSetting<TrainingConfig[K]>
        : never;

export type AnySetting = NumberSetting | ChoiceSetting | SwitchSetting | ListSetting | TextSetting;

const SCHEDULE_LABELS: Record<ScheduleKind, string> = { constant: 'Constant', linear: 'Linear decay', cosine: 'Cosine decay' };
const integerFrom = (min: number): NumberRange => ({ integer: true, min });
const unitInterval: NumberRange = { integer: false, min: 0, max: 1, maxOpen: true };
const positive: NumberRange = { integer: false, min: 0, minOpen: true };
const nonNegative: NumberRange = { integer: false, min: 0 };

/**
 * What a run trains: LoRA's low-rank pairs, DoRA's (the same pairs, each adapted row renormalised, with a learned
 * magnitude per row), or IA³'s scaling vectors (PEFT's Llama placement).
 */
export type TrainingMethod = 'lora' | 'dora' | 'ia3' | 'prompt';
const METHOD_LABELS: Record<TrainingMethod, string> = { lora: 'LoRA', dora: 'DoRA', ia3: 'IA³', prompt: 'Prompt tuning' };

/** The method's name in words: 'LoRA', 'IA³', 'prompt tuning'. */
export function methodName(method: TrainingMethod): string {
  return method === 'prompt' ? 'prompt tuning' : METHOD_LABELS[method];
}

/** The method in words, with its size: 'LoRA rank 8', 'DoRA rank 8', 'IA³', 'Prompt tuning, 20 virtual tokens'. */
export function methodSummary(run: { method: TrainingMethod; rank: number; virtualTokens: number }): string {
  if (run.method === 'prompt') return `${METHOD_LABELS.prompt}, ${run.virtualTokens} virtual tokens`;
  return trainsLoraPairs(run.method) ? `${METHOD_LABELS[run.method]} rank ${run.rank}` : METHOD_LABELS[run.method];
}

/**
 * How the library records a trained adapter's method: 'LoRA', 'QLoRA (NF4)', 'DoRA', 'DoRA (NF4 base)', 'IA³',
 * 'IA³ (NF4 base)'.
 */
export function methodRecordLabel(method: TrainingMethod, quant: string): string {
  if (quant !== 'nf4') return METHOD_LABELS[method];
  return method === 'lora' ? 'QLoRA (NF4)' : `${METHOD_LABELS[method]} (NF4 base)`;
}

/** Whether a method trains LoRA pairs (LoRA, DoRA), with their rank, alpha, targets and dropout. */
export function trainsLoraPairs(method: TrainingMethod): boolean {
  return method === 'lora' || method === 'dora';
}

/** The settings that only LoRA (and DoRA) has: IA³ and prompt tuning refuse them away from their defaults. */
export const LORA_ONLY_SETTINGS = ['rank', 'alpha', 'rsLora', 'loraPlusRatio', 'targets', 'dropout'] as const satisfies readonly SettingKey[];

/** The settings only prompt tuning has: the other methods refuse them away from their defaults. */
export const PROMPT_ONLY_SETTINGS = ['virtualTokens', 'promptInit'] as const satisfies readonly SettingKey[];

/** In TrainingConfig's order, which is the order of --help and of the checks. */
export const SETTINGS: { [K in SettingKey]: SettingSpec<K> } = {
  method: {
    kind: 'choice',
    flag: 'method',
    arg: 'M',
    help:
      "what to train: lora (low-rank pairs on --targets), dora (LoRA pairs and a magnitude per row, PEFT's use_dora), " +
      "ia3 (scaling vectors on k, v and down's input, PEFT's placement) or prompt (--virtual-tokens learned embeddings before every sequence)",
    label: 'Method',
    hint:
      'LoRA learns low-rank updates; DoRA splits each adapted weight into a learned magnitude and a LoRA-updated ' +
      'direction (a little more memory and time); IA³ learns one scale per feature of k, v and the MLP (far fewer parameters); ' +
      'prompt tuning learns the embeddings of a few virtual tokens put before every sequence (fewest parameters; cannot be merged).',
    choices: METHOD_LABELS,
    default: 'lora',
  },
  rank: { kind: 'number', flag: 'rank', arg: 'R', help: 'LoRA rank', label: 'Rank', hint: 'LoRA rank r.', range: integerFrom(1), default: 8 },
  alpha: { kind: 'number', flag: 'alpha', arg: 'A', help: 'LoRA alpha', label: 'Alpha', hint: 'Scale: alpha / r.', range: positive, default: 16 },
  rsLora: { kind: 'switch', flag: 'rslora', help: 'scale by alpha/√r instead of alpha/r', label: 'rsLoRA (alpha / √r)', hint: '', default: false, flagSets: true },
  loraPlusRatio: {
    kind: 'number',
    flag: 'lora-plus-ratio',
    arg: 'X',
    help: "LoRA+: B's learning rate is X times A's (the paper suggests 16); 1 = plain LoRA",
    label: 'LoRA+ ratio',
    hint: "B learns this many times faster than A; 1 = plain LoRA.",
    range: { integer: false, min: 1 },
    note: '1 is plain LoRA',
    default: 1,
  },
  targets: {
    kind: 'list',
    flag: 'targets',
    arg: 'LIST',
    help: `adapted layers among ${LORA_TARGETS.join(',')}`,
    label: 'Adapted layers',
    hint: 'Attention (q, k, v, o) and MLP (gate, up, down) projections that get a LoRA pair.',
    items: LORA_TARGETS,
    default: [...LORA_TARGETS] as LoraTarget[],
  },
  dropout: {
    kind: 'number',
    flag: 'dropout',
    arg: 'P',
    help: 'LoRA dropout',
    label: 'Dropout',
    hint: 'On the LoRA input, in [0, 1).',
    range: unitInterval,
    noun: 'a probability',
    default: 0,
  },
  virtualTokens: {
    kind: 'number',
    flag: 'virtual-tokens',
    arg: 'N',
    help: 'prompt tuning: learned virtual tokens before every sequence (they count in --seq-len)',
    label: 'Virtual tokens',
    hint: 'Learned embeddings before every sequence; they take part of the sequence length.',
    range: { integer: true, min: 1, max: 4096 },
    default: 20,
  },
  promptInit: {
    kind: 'text',
    flag: 'prompt-init',
    arg: 'TEXT',
    help: "prompt tuning: start from this text's token embeddings, repeated to fill the virtual tokens (PEFT's TEXT); empty: random vocabulary tokens",
    label: 'Start from text',
    hint: 'Its tokens’ embeddings start the prompt; empty: random tokens of the vocabulary.',
    maxLength: 4000,
    default: '',
  },
  learningRate: { kind: 'number', flag: 'lr', arg: 'LR', help: 'peak learning rate', label: 'Learning rate', hint: 'Peak AdamW step size.', range: positive, note: '0 would not train', default: 2e-4 },
  beta1: { kind: 'number', flag: null, help: 'AdamW first moment', label: 'Beta 1', hint: 'AdamW first moment.', range: unitInterval, default: 0.9 },
  beta2: { kind: 'number', flag: null, help: 'AdamW second moment', label: 'Beta 2', hint: 'AdamW second moment.', range: unitInterval, default: 0.999 },
  eps: { kind: 'number', flag: null, help: 'AdamW denominator', label: 'Epsilon', hint: 'AdamW denominator.', range: positive, default: 1e-8 },
  weightDecay: { kind: 'number', flag: 'weight-decay', arg: 'W', help: 'AdamW weight decay', label: 'Weight decay', hint: 'AdamW, decoupled.', range: nonNegative, default: 0 },
  maxGradNorm: {
    kind: 'number',
    flag: 'max-grad-norm',
    arg: 'G',
    help: 'clip the global gradient norm at G; 0 = off',
    label: 'Max grad norm',
    hint: 'Clipping; 0 = off.',
    range: nonNegative,
    note: '0 turns clipping off',
    default: 1,
  },
  schedule: { kind: 'choice', flag: 'schedule', arg: 'S', help: 'learning rate over the run', label: 'Schedule', hint: 'Learning rate over the run.', choices: SCHEDULE_LABELS, default: 'cosine' },
  warmupSteps: { kind: 'number', flag: 'warmup', arg: 'N', help: 'warmup steps', label: 'Warmup steps', hint: 'Linear ramp from 0.', range: integerFrom(0), default: 0 },
  minLrRatio: {
    kind: 'number',
    flag: null,
    help: 'final learning rate of linear/cosine decay, as a fraction of the peak',
    label: 'Final LR ratio',
    hint: 'Decay ends at this × peak.',
    range: { integer: false, min: 0, max: 1 },
    default: 0,
  },
  batchSize: { kind: 'number', flag: 'batch', arg: 'B', help: 'sequences per micro-batch', label: 'Batch size', hint: 'Sequences per micro-batch.', range: integerFrom(1), default: 4 },
  gradAccum: {
    kind: 'number',
    flag: 'grad-accum',
    arg: 'G',
    help: 'micro-batches per optimizer step',
    label: 'Grad accumulation',
    hint: 'Micro-batches per step.',
    range: integerFrom(1),
    default: 1,
  },
  seqLen: {
    kind: 'number',
    flag: 'seq-len',
    arg: 'L',
    help: 'longest sequence in tokens; longer examples are truncated',
    label: 'Sequence length',
    hint: 'Tokens; longer examples are cut.',
    range: integerFrom(2),
    default: 256,
  },
  overLength: {
    kind: 'choice',
    flag: 'over-length',
    arg: 'MODE',
    help: 'examples longer than --seq-len: cut them and report how many, or refuse the dataset',
    label: 'Too-long examples',
    hint: 'Cut them, or refuse the file.',
    choices: { truncate: 'Truncate', refuse: 'Refuse' },
    default: 'truncate',
  },
  pack: {
    kind: 'switch',
    flag: 'pack',
    help: 'pack several examples into one micro-batch (they never attend to each other)',
    label: 'Pack short examples',
    hint: '',
    default: false,
    flagSets: true,
  },
  trainOnInputs: { kind: 'switch', flag: 'train-on-inputs', help: 'also train on prompt/user tokens', label: 'Train on inputs', hint: '', default: false, flagSets: true },
  maxSteps: {
    kind: 'number',
    flag: 'steps',
    arg: 'N',
    help: 'optimizer steps (or --epochs; the default is 1 epoch)',
    label: 'Max steps',
    hint: 'Optimizer steps.',
    range: integerFrom(1),
    optional: true,
    default: null,
  },
  epochs: { kind: 'number', flag: 'epochs', arg: 'E', help: 'passes over the training set', label: 'Epochs', hint: 'Passes over the training set.', range: positive, optional: true, default: 1 },
  shuffleWindow: {
    kind: 'number',
    flag: 'shuffle-window',
    arg: 'ROWS',
    help: 'rows of the file shuffled together; a larger file streams window by window',
    label: 'Shuffle window (rows)',
    hint: 'Bigger: better mixed, slower start.',
    range: { integer: true, min: 1, max: 1_000_000 },
    default: 4096,
  },
  valSplit: {
    kind: 'number',
    flag: 'val-split',
    arg: 'F',
    help: 'share of examples held out for validation',
    label: 'Validation %',
    hint: 'Held out, seeded.',
    range: unitInterval,
    noun: 'a fraction',
    default: 0.1,
  },
  evalEvery: {
    kind: 'number',
    flag: 'eval-every',
    arg: 'N',
    help: 'validate every N steps; 0 = only at the end',
    label: 'Eval every',
    hint: 'Steps; 0 = at the end.',
    range: integerFrom(0),
    default: 50,
  },
  saveEvery: {
    kind: 'number',
    flag: 'save-every',
    arg: 'N',
    help: 'checkpoint every N steps; 0 = only at the end',
    label: 'Checkpoint every',
    hint: 'Steps; 0 = at the end.',
    range: integerFrom(0),
    default: 100,
  },
  patience: {
    kind: 'number',
    flag: 'patience',
    arg: 'N',
    help: 'stop after N validations without improvement; 0 = never',
    label: 'Early-stop patience',
    hint: 'Evals; 0 = never.',
    range: integerFrom(0),
    default: 0,
  },
  keepBest: {
    kind: 'switch',
    flag: 'keep-last',
    help: 'export the last adapter, not the one with the best validation loss',
    label: 'Keep the best adapter (by validation loss)',
    hint: '',
    default: true,
    flagSets: false,
  },
  seed: {
    kind: 'number',
    flag: 'seed',
    arg: 'S',
    help: 'one seed for the whole run',
    label: 'Seed',
    hint: 'Split, shuffle, init, dropout.',
    range: { integer: true, min: 0, max: 2 ** 32, maxOpen: true },
    default: 0,
  },
  checkpointing: {
    kind: 'switch',
    flag: 'checkpointing',
    help: 'recompute activations in backward (less memory, ~1.3x slower)',
    label: 'Gradient checkpointing',
    hint: '',
    default: false,
    flagSets: true,
  },
  quant: {
    kind: 'choice',
    flag: 'quant',
    arg: 'Q',
    help: 'nf4 keeps the base in 4 bits on the GPU (QLoRA); GGUF quantized weights stay as they are',
    label: 'Base weights',
    hint: 'NF4 keeps the base in 4 bits (QLoRA).',
    choices: { none: 'As loaded (LoRA)', nf4: 'NF4 (QLoRA)' },
    default: 'none',
  },
};

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export const isNumberSetting = (key: SettingKey): key is NumberSettingKey => settingSpec(key).kind === 'number';

/** The table's entry for `key`, as the union every front end switches on. */
export function settingSpec(key: SettingKey): AnySetting {
  return SETTINGS[key] as AnySetting;
}

/** A memory budget (CLI --memory, the form's field), in MiB: a run option, not stored in the config. */
export const MEMORY_BUDGET_MIB: NumberRange = positive;

/** What is wrong with a setting's value; the front ends turn it into words. */
export type SettingProblem =
  /** Text that is not a number (only a front end, reading what was typed, sees this). */
  | { kind: 'not-a-number'; text: string }
  | { kind: 'out-of-range'; value: number }
  | { kind: 'not-a-choice'; value: string }
  | { kind: 'no-items' }
  | { kind: 'unknown-item'; item: string }
  | { kind: 'repeated-item'; items: readonly string[] }
  /** Exactly one of this setting and `other` must be set (steps or epochs). */
  | { kind: 'one-of'; other: SettingKey }
  | { kind: 'rank-above-projection'; value: number; target: LoraTarget; out: number; in: number }
  | { kind: 'beyond-window'; value: number; window: number }
  /** A setting of another method, set away from its default (LoRA's dropout for IA³). */
  | { kind: 'not-for-method'; method: TrainingMethod }
  /** Prompt tuning's virtual tokens leave fewer than 2 of the sequence length's tokens for text. */
  | { kind: 'no-room-for-text'; value: number; seqLen: number }
  | { kind: 'too-long'; length: number; maxLength: number };

/** A value that would work instead: `setting` at most `atMost`. */
export interface SettingAdvice {
  setting: SettingKey;
  atMost: number;
}

export interface SettingIssue {
  setting: SettingKey;
  problem: SettingProblem;
  advice?: SettingAdvice;
}

/** A change of settings that would help (the memory plan's advice). */
export type SettingChange =
  | { kind: 'set'; setting: SettingKey; to: TrainingConfig[SettingKey] }
  /** A memory budget of at least `bytes` (the memory plan's refusal, when the budget is all that is short). */
  | { kind: 'budget'; bytes: number };

export function inRange(r: NumberRange, n: number): boolean {
  if (!Number.isFinite(n) || (r.integer && !Number.isInteger(n))) return false;
  if (r.minOpen ? n <= r.min : n < r.min) return false;
  return r.max === undefined || (r.maxOpen ? n < r.max : n <= r.max);
}

function listProblem(items: readonly string[], value: readonly string[]): SettingProblem | null {
  if (value.length === 0) return { kind: 'no-items' };
  const unknown = value.find((item) => !items.includes(item));
  if (unknown !== undefined) return { kind: 'unknown-item', item: unknown };
  return new Set(value).size === value.length ? null : { kind: 'repeated-item', items: value };
}

/** What the table says about one value of `key` (null: it is allowed). */
export function settingProblem(key: SettingKey, value: unknown): SettingProblem | null {
  const spec = settingSpec(key);
  switch (spec.kind) {
    case 'number':
      if (value === null && spec.optional) return null;
      return typeof value === 'number' && inRange(spec.range, value) ? null : { kind: 'out-of-range', value: Number(value) };
    case 'choice':
      return typeof value === 'string' && Object.hasOwn(spec.choices, value) ? null : { kind: 'not-a-choice', value: String(value) };
    case 'list':
      return listProblem(spec.items, Array.isArray(value) ? value.map(String) : []);
    case 'switch':
      return null;
    case 'text':
      if (typeof value !== 'string') return { kind: 'too-long', length: Number.NaN, maxLength: spec.maxLength };
      return value.length > spec.maxLength ? { kind: 'too-long', length: value.length, maxLength: spec.maxLength } : null;
  }
}
