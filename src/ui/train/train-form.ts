/**
 * The Train view's form as typed (numbers stay strings while edited), its presets, and its parse into a
 * TrainingConfig plus sample settings, with a specific message per bad field. The engine's own checks
 * (checkTrainingConfig, checkRankFits) run here too, so the form names the field before a run is asked for.
 */
import { LORA_TARGETS, type LoraTarget } from '../../gpu/lora/lora-linear';
import type { ModelConfig } from '../../model/config';
import { checkRankFits, checkTrainingConfig, DEFAULT_TRAINING_CONFIG, TrainingConfigError, type TrainingConfig } from '../../train/config';
import type { ScheduleKind } from '../../train/schedule';
import type { SampleSettings } from '../../worker/train-protocol';

export const NUMBER_FIELDS = [
  'rank',
  'alpha',
  'dropout',
  'learningRate',
  'warmupSteps',
  'minLrRatio',
  'weightDecay',
  'maxGradNorm',
  'beta1',
  'beta2',
  'eps',
  'batchSize',
  'gradAccum',
  'seqLen',
  'maxSteps',
  'epochs',
  'valPercent',
  'evalEvery',
  'saveEvery',
  'patience',
  'seed',
  'sampleEvery',
  'sampleTokens',
  'budgetMiB',
] as const;
export type TrainNumberField = (typeof NUMBER_FIELDS)[number];
export type TrainField = TrainNumberField | 'targets' | 'samplePrompts';
export type TrainFieldErrors = Partial<Record<TrainField, string>>;

export type PresetId = 'quick' | 'balanced' | 'quality';

export interface TrainForm extends Record<TrainNumberField, string> {
  /** The preset the numbers came from; 'custom' once one is edited. */
  preset: PresetId | 'custom';
  rsLora: boolean;
  targets: LoraTarget[];
  schedule: ScheduleKind;
  lengthBy: 'steps' | 'epochs';
  overLength: 'truncate' | 'refuse';
  pack: boolean;
  trainOnInputs: boolean;
  keepBest: boolean;
  checkpointing: boolean;
  quant: 'none' | 'nf4';
  /** One prompt per line. */
  samplePrompts: string;
}

export interface Preset {
  id: PresetId;
  label: string;
  description: string;
  form: Partial<TrainForm>;
}

const BASE: TrainForm = {
  preset: 'quick',
  rank: '8',
  alpha: '16',
  dropout: '0',
  learningRate: '0.003',
  warmupSteps: '0',
  minLrRatio: '0.1',
  weightDecay: '0',
  maxGradNorm: '1',
  beta1: String(DEFAULT_TRAINING_CONFIG.beta1),
  beta2: String(DEFAULT_TRAINING_CONFIG.beta2),
  eps: String(DEFAULT_TRAINING_CONFIG.eps),
  batchSize: '1',
  gradAccum: '1',
  seqLen: '128',
  maxSteps: '50',
  epochs: '1',
  valPercent: '5',
  evalEvery: '25',
  saveEvery: '10',
  patience: '0',
  seed: '0',
  sampleEvery: '25',
  sampleTokens: '40',
  budgetMiB: '',
  rsLora: false,
  targets: [...LORA_TARGETS],
  schedule: 'constant',
  lengthBy: 'steps',
  overLength: 'truncate',
  pack: false,
  trainOnInputs: false,
  keepBest: true,
  checkpointing: false,
  quant: 'none',
  samplePrompts: 'Tell a moon story about Lily at the park.\nTell a moon story about Max at the hill.',
};

export const PRESETS: readonly Preset[] = [
  {
    id: 'quick',
    label: 'Quick test',
    description: '50 steps of short sequences: a minute or two, to see the loss fall and the samples change.',
    form: {},
  },
  {
    id: 'balanced',
    label: 'Balanced',
    description: 'One epoch at rank 16 with a cosine schedule and warmup: a real adapter at moderate cost.',
    form: {
      rank: '16',
      alpha: '32',
      learningRate: '0.001',
      schedule: 'cosine',
      warmupSteps: '20',
      batchSize: '4',
      seqLen: '256',
      lengthBy: 'epochs',
      epochs: '1',
      valPercent: '10',
      evalEvery: '50',
      saveEvery: '50',
      sampleEvery: '50',
    },
  },
  {
    id: 'quality',
    label: 'Quality',
    description: 'Three epochs at rank 32, longer sequences, dropout and early stopping: slow, for the adapter you keep.',
    form: {
      rank: '32',
      alpha: '64',
      dropout: '0.05',
      learningRate: '0.0005',
      schedule: 'cosine',
      warmupSteps: '50',
      batchSize: '8',
      gradAccum: '2',
      seqLen: '512',
      lengthBy: 'epochs',
      epochs: '3',
      valPercent: '10',
      evalEvery: '100',
      saveEvery: '100',
      patience: '3',
      sampleEvery: '100',
    },
  },
];

export function presetForm(id: PresetId, keep?: Pick<TrainForm, 'samplePrompts'>): TrainForm {
  const preset = PRESETS.find((p) => p.id === id)!;
  return { ...BASE, ...preset.form, ...keep, preset: id };
}

export const DEFAULT_TRAIN_FORM: TrainForm = presetForm('quick');

export interface ParsedTrainForm {
  config: TrainingConfig;
  samples: SampleSettings;
  /** Bytes the user allows the run (undefined: only the device's limits apply). */
  budgetBytes: number | undefined;
}

/** Maps checkTrainingConfig's setting names to this form's fields. */
const SETTING_FIELDS: Record<string, TrainField> = {
  rank: 'rank',
  alpha: 'alpha',
  targets: 'targets',
  dropout: 'dropout',
  lr: 'learningRate',
  beta1: 'beta1',
  beta2: 'beta2',
  eps: 'eps',
  'weight-decay': 'weightDecay',
  'max-grad-norm': 'maxGradNorm',
  warmup: 'warmupSteps',
  'min-lr-ratio': 'minLrRatio',
  batch: 'batchSize',
  'grad-accum': 'gradAccum',
  'seq-len': 'seqLen',
  steps: 'maxSteps',
  epochs: 'epochs',
  'val-split': 'valPercent',
  'eval-every': 'evalEvery',
  'save-every': 'saveEvery',
  patience: 'patience',
  seed: 'seed',
};

export function fieldOfSetting(setting: string): TrainField | undefined {
  return SETTING_FIELDS[setting];
}

export type TrainFormResult = { ok: true; parsed: ParsedTrainForm } | { ok: false; errors: TrainFieldErrors };

/** `model`: the base's architecture when known, to check the rank against its layers. */
export function parseTrainForm(form: TrainForm, model: ModelConfig | null): TrainFormResult {
  const errors: TrainFieldErrors = {};
  const read = (field: TrainNumberField, check: (n: number) => string | null, skip = false): number => {
    const text = form[field].trim();
    const n = text === '' ? Number.NaN : Number(text);
    if (skip) return Number.isFinite(n) ? n : 0;
    const problem = Number.isFinite(n) ? check(n) : text.toLowerCase() === 'nan' ? 'NaN is not a number.' : 'Enter a number.';
    if (problem) errors[field] = problem;
    return n;
  };
  const whole = (min: number, max = 1e9) => (n: number) =>
    Number.isInteger(n) && n >= min && n <= max ? null : `A whole number from ${min} to ${max.toLocaleString('en-US')}.`;
  const range = (min: number, max: number, openMax = false) => (n: number) =>
    n >= min && (openMax ? n < max : n <= max) ? null : `A number from ${min} to ${openMax ? 'below ' : ''}${max}.`;
  const positive = (n: number) => (n > 0 ? null : 'A number above 0.');

  const bySteps = form.lengthBy === 'steps';
  const lr = read('learningRate', (n) =>
    n > 0 ? (n > 1 ? 'Above 1 the adapter diverges at once; try 0.0001 to 0.01.' : null) : 'The learning rate must be above 0 (0 would not train).',
  );
  const config: TrainingConfig = {
    ...DEFAULT_TRAINING_CONFIG,
    rank: read('rank', whole(1, 4096)),
    alpha: read('alpha', positive),
    rsLora: form.rsLora,
    targets: LORA_TARGETS.filter((t) => form.targets.includes(t)),
    dropout: read('dropout', range(0, 1, true)),
    learningRate: lr,
    beta1: read('beta1', range(0, 1, true)),
    beta2: read('beta2', range(0, 1, true)),
    eps: read('eps', positive),
    weightDecay: read('weightDecay', (n) => (n >= 0 ? null : 'A number ≥ 0.')),
    maxGradNorm: read('maxGradNorm', (n) => (n >= 0 ? null : 'A number ≥ 0 (0 turns clipping off).')),
    schedule: form.schedule,
    warmupSteps: read('warmupSteps', whole(0)),
    minLrRatio: read('minLrRatio', range(0, 1)),
    batchSize: read('batchSize', whole(1, 1024)),
    gradAccum: read('gradAccum', whole(1, 1024)),
    seqLen: read('seqLen', whole(2, 131072)),
    overLength: form.overLength,
    pack: form.pack,
    trainOnInputs: form.trainOnInputs,
    maxSteps: bySteps ? read('maxSteps', whole(1)) : null,
    epochs: bySteps ? null : read('epochs', (n) => (n > 0 && n <= 1000 ? null : 'A number of epochs above 0.')),
    valSplit: read('valPercent', range(0, 100, true)) / 100,
    evalEvery: read('evalEvery', whole(0)),
    saveEvery: read('saveEvery', whole(0)),
    patience: read('patience', whole(0)),
    keepBest: form.keepBest,
    seed: read('seed', whole(0, 2 ** 32 - 1)),
    checkpointing: form.checkpointing,
    quant: form.quant,
  };
  if (config.targets.length === 0) errors.targets = 'Choose at least one layer to adapt.';
  const prompts = form.samplePrompts
    .split('\n')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (prompts.length > 8) errors.samplePrompts = 'At most 8 prompts (each one is generated every time samples are made).';
  const samples: SampleSettings = {
    prompts,
    every: read('sampleEvery', whole(0)),
    maxTokens: read('sampleTokens', whole(1, 200)),
  };
  const budgetText = form.budgetMiB.trim();
  const budgetMiB = budgetText === '' ? undefined : read('budgetMiB', positive);
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  try {
    checkTrainingConfig(config);
    if (model) checkRankFits(config, model);
  } catch (error) {
    if (!(error instanceof TrainingConfigError)) throw error;
    const field = SETTING_FIELDS[error.setting] ?? 'rank';
    // The engine's messages use CLI flag names; the form shows its own label, so keep only the problem.
    return { ok: false, errors: { [field]: sentence(error.message.slice(error.setting.length + 2)) } };
  }
  return { ok: true, parsed: { config, samples, budgetBytes: budgetMiB === undefined ? undefined : budgetMiB * 2 ** 20 } };
}

function sentence(text: string): string {
  const cleaned = text.replace(/--([a-z-]+)/g, '$1');
  const capital = cleaned.charAt(0).toUpperCase() + cleaned.slice(1);
  return capital.endsWith('.') ? capital : `${capital}.`;
}
