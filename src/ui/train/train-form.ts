/**
 * The Train view's form as typed (numbers stay strings while edited), its presets, and its parse into a
 * TrainingConfig plus sample settings, with a specific message per bad field. The fields, their ranges and the
 * defaults come from the settings table (through form-settings.ts); the core's own checks (trainingConfigIssues:
 * the table, the base's projections and attention window) decide what is refused, so the form refuses exactly
 * what a run would, before one is asked for, and names the field by its label.
 */
import type { ModelConfig } from '../../model/config';
import { LORA_TARGETS } from '../../model/lora-targets';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig, trainingConfigIssues } from '../../train/config';
import { inRange, LORA_ONLY_SETTINGS, PROMPT_ONLY_SETTINGS, trainsLoraPairs } from '../../train/settings';
import type { SampleSettings } from '../../worker/train-protocol';
import {
  type ChoiceKey,
  fieldOfSetting,
  formIssueMessage,
  NUMBER_FIELDS,
  NUMBER_KEYS,
  notANumberMessage,
  numberFieldOf,
  rangeMessage,
  type SwitchKey,
  type TextKey,
  type TrainFieldErrors,
  type TrainNumberField,
} from './form-settings';

export type { TrainField, TrainFieldErrors, TrainNumberField } from './form-settings';

export type PresetId = 'quick' | 'balanced' | 'quality';

export interface TrainForm extends Record<TrainNumberField, string>, Pick<TrainingConfig, SwitchKey | ChoiceKey | TextKey | 'targets'> {
  /** The preset the numbers came from; 'custom' once one is edited. */
  preset: PresetId | 'custom';
  lengthBy: 'steps' | 'epochs';
  /** One prompt per line. */
  samplePrompts: string;
}

export interface Preset {
  id: PresetId;
  label: string;
  description: string;
  form: Partial<TrainForm>;
}

/** A number as the form shows it (a fraction shown as a percentage keeps no float noise: 0.1 → '10'). */
const text = (n: number | null, scale: number) => (n === null ? '' : String(Number((n * scale).toPrecision(12))));

/** The table's defaults in the form's fields, and the form's own fields' defaults. */
function tableDefaults(): TrainForm {
  const c = DEFAULT_TRAINING_CONFIG;
  const numbers = Object.fromEntries(NUMBER_KEYS.map((key) => [numberFieldOf(key), text(c[key], NUMBER_FIELDS[numberFieldOf(key)].scale)]));
  return {
    ...(numbers as Record<TrainNumberField, string>),
    preset: 'quick',
    method: c.method,
    promptInit: c.promptInit,
    rsLora: c.rsLora,
    targets: [...c.targets],
    schedule: c.schedule,
    lengthBy: c.maxSteps === null ? 'epochs' : 'steps',
    overLength: c.overLength,
    pack: c.pack,
    trainOnInputs: c.trainOnInputs,
    keepBest: c.keepBest,
    checkpointing: c.checkpointing,
    quant: c.quant,
    sampleEvery: '25',
    sampleTokens: '40',
    budgetMiB: '',
    samplePrompts: 'Tell a moon story about Lily at the park.\nTell a moon story about Max at the hill.',
  };
}

/** Quick: short sequences for a minute or two. Every preset starts from it and changes what it names. */
const QUICK: Partial<TrainForm> = {
  learningRate: '0.003',
  minLrRatio: '0.1',
  batchSize: '1',
  seqLen: '128',
  maxSteps: '50',
  lengthBy: 'steps',
  valPercent: '5',
  evalEvery: '25',
  saveEvery: '10',
  schedule: 'constant',
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
  return { ...tableDefaults(), ...QUICK, ...preset.form, ...keep, preset: id };
}

export const DEFAULT_TRAIN_FORM: TrainForm = presetForm('quick');

export interface ParsedTrainForm {
  config: TrainingConfig;
  samples: SampleSettings;
  /** Bytes the user allows the run (undefined: only the device's limits apply). */
  budgetBytes: number | undefined;
}

export type TrainFormResult = { ok: true; parsed: ParsedTrainForm } | { ok: false; errors: TrainFieldErrors };

/** `model`: the base's architecture when known, to check the rank against its layers and the sequence against its window. */
export function parseTrainForm(form: TrainForm, model: ModelConfig | null): TrainFormResult {
  const errors: TrainFieldErrors = {};
  /** The field's number (NaN, with the field marked, when the text is none); form-only fields checked against their own range. */
  const read = (field: TrainNumberField): number => {
    const typed = form[field].trim();
    const n = typed === '' ? Number.NaN : Number(typed);
    const spec = NUMBER_FIELDS[field];
    if (!Number.isFinite(n)) errors[field] = notANumberMessage(typed);
    else if (spec.setting === null && !inRange(spec.range, n)) errors[field] = rangeMessage(spec);
    return n / spec.scale;
  };
  const off = form.lengthBy === 'steps' ? 'epochs' : 'maxSteps';
  const numbers = Object.fromEntries(
    NUMBER_KEYS.map((key) => [key, key === off ? null : read(numberFieldOf(key))]),
  ) as Pick<TrainingConfig, (typeof NUMBER_KEYS)[number]>;
  const chosen: TrainingConfig = {
    ...DEFAULT_TRAINING_CONFIG,
    ...numbers,
    method: form.method,
    promptInit: form.promptInit,
    rsLora: form.rsLora,
    targets: LORA_TARGETS.filter((t) => form.targets.includes(t)),
    schedule: form.schedule,
    overLength: form.overLength,
    pack: form.pack,
    trainOnInputs: form.trainOnInputs,
    keepBest: form.keepBest,
    checkpointing: form.checkpointing,
    quant: form.quant,
  };
  // A method's foreign settings (LoRA's for IA³ and prompt tuning, prompt tuning's for the rest): the form hides
  // them and the run takes their defaults (the CLI refuses them instead).
  const foreign = [...(trainsLoraPairs(chosen.method) ? [] : LORA_ONLY_SETTINGS), ...(chosen.method === 'prompt' ? [] : PROMPT_ONLY_SETTINGS)];
  const config: TrainingConfig = { ...chosen, ...Object.fromEntries(foreign.map((key) => [key, structuredClone(DEFAULT_TRAINING_CONFIG[key])])) };
  for (const issue of trainingConfigIssues(config, model)) {
    const field = fieldOfSetting(issue.setting);
    if (field !== undefined && errors[field] === undefined) errors[field] = formIssueMessage(issue);
  }
  const prompts = form.samplePrompts
    .split('\n')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (prompts.length > 8) errors.samplePrompts = 'At most 8 prompts (each one is generated every time samples are made).';
  const samples: SampleSettings = { prompts, every: read('sampleEvery'), maxTokens: read('sampleTokens') };
  const budgetMiB = form.budgetMiB.trim() === '' ? undefined : read('budgetMiB');
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, parsed: { config, samples, budgetBytes: budgetMiB === undefined ? undefined : Math.floor(budgetMiB * 2 ** 20) } };
}
