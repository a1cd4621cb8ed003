/**
 * The Compare view's choices as the user makes them: which adapters join the base (at most eight, the batch's slots), and the
 * evaluation form (numbers kept as typed, parsed into the worker's settings with a message per bad field). The
 * prompt and sampling form is the Playground's (playground/settings.ts), parsed by its parseForm.
 */
import { inRange, settingSpec } from '../../train/settings';
import type { CompareColumn, CompareEvalSettings } from '../../worker/compare-protocol';
import { formRange } from '../train/form-settings';
import { MAX_ADAPTER_SLOTS } from '../../model/lora-targets';

/** Columns beside the base: as many adapters as one batched generation holds (the columns wrap past five). */
export const MAX_ADAPTERS = MAX_ADAPTER_SLOTS;

export interface AdapterChoice {
  id: string;
  name: string;
  baseModel: string;
  /** 'LoRA', 'QLoRA (NF4)', 'IA³' … as the library records it. */
  method: string;
}

/** Adds or removes an adapter; adding past the limit changes nothing (the view disables those boxes). */
export function toggleAdapter(selected: readonly string[], id: string): string[] {
  if (selected.includes(id)) return selected.filter((s) => s !== id);
  return selected.length >= MAX_ADAPTERS ? [...selected] : [...selected, id];
}

/** The base column first, then the chosen adapters in the order chosen; ids no longer in the library drop out. */
export function columnsOf(modelName: string, selected: readonly string[], adapters: readonly AdapterChoice[]): CompareColumn[] {
  const byId = new Map(adapters.map((a) => [a.id, a]));
  const chosen = selected.flatMap((id) => {
    const a = byId.get(id);
    return a ? [{ adapterId: a.id, label: a.name }] : [];
  });
  return [{ adapterId: null, label: `Base: ${modelName}` }, ...chosen];
}

export interface EvalForm {
  seqLen: string;
  validationPercent: string;
  batchSize: string;
  trainOnInputs: boolean;
}

export const EVAL_NUMBER_FIELDS = ['seqLen', 'validationPercent', 'batchSize'] as const;
export type EvalNumberField = (typeof EVAL_NUMBER_FIELDS)[number];
export type EvalFieldErrors = Partial<Record<EvalNumberField, string>>;

/** The Datasets view's defaults (10% validation, seed 0), so both views split the sample the same way. */
export const DEFAULT_EVAL_FORM: EvalForm = { seqLen: '128', validationPercent: '10', batchSize: '8', trainOnInputs: false };

export const EVAL_SEED = 0;

export type ParsedEvalForm = { ok: true; settings: CompareEvalSettings } | { ok: false; errors: EvalFieldErrors };

/** Sequence length and batch size take the limits a training run gives them (the settings table), worded as the form words them. */
function asInTraining(key: 'seqLen' | 'batchSize'): (n: number) => string | null {
  const spec = settingSpec(key);
  return (n) => (spec.kind !== 'number' || inRange(spec.range, n) ? null : `${capitalized(formRange(spec.range))}.`);
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function parseEvalForm(form: EvalForm): ParsedEvalForm {
  const errors: EvalFieldErrors = {};
  const read = (field: EvalNumberField, check: (n: number) => string | null): number => {
    const text = form[field].trim();
    const n = text === '' ? Number.NaN : Number(text);
    const problem = Number.isFinite(n) ? check(n) : 'Enter a number.';
    if (problem) errors[field] = problem;
    return n;
  };
  const seqLen = read('seqLen', asInTraining('seqLen'));
  const percent = read('validationPercent', (n) => (n > 0 && n < 100 ? null : 'More than 0, less than 100.'));
  const batchSize = read('batchSize', asInTraining('batchSize'));
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    settings: {
      format: 'auto',
      seqLen,
      batchSize,
      validationFraction: percent / 100,
      seed: EVAL_SEED,
      trainOnInputs: form.trainOnInputs,
    },
  };
}
