/**
 * How the Train form shows the settings table (src/train/settings.ts): one field per setting, named as the
 * setting except valSplit (typed as a percentage, valPercent), with the table's label, hint and range; plus the
 * form's own fields (samples, memory budget), described the same way. Settings problems are worded here with the
 * form's labels: the studio never sees a CLI flag.
 */
import { issueText, type SettingWords } from '../../train/setting-words';
import {
  type ChoiceSettingKey as ChoiceKey,
  isNumberSetting,
  MEMORY_BUDGET_MIB,
  type NumberSettingKey as NumberKey,
  type NumberRange,
  SETTING_KEYS,
  type SettingIssue,
  type SettingKey,
  settingSpec,
  type TextSettingKey,
} from '../../train/settings';

export type {
  ChoiceSettingKey as ChoiceKey,
  NumberSettingKey as NumberKey,
  SwitchSettingKey as SwitchKey,
  TextSettingKey as TextKey,
} from '../../train/settings';

/** The form's number fields: the config's numbers (valSplit as valPercent) and its own sample and budget fields. */
export type TrainNumberField = Exclude<NumberKey, 'valSplit'> | 'valPercent' | 'sampleEvery' | 'sampleTokens' | 'budgetMiB';
export type TrainField = TrainNumberField | ChoiceKey | TextSettingKey | 'targets' | 'samplePrompts';
export type TrainFieldErrors = Partial<Record<TrainField, string>>;

export interface NumberFieldSpec {
  label: string;
  hint: string;
  range: NumberRange;
  note?: string;
  /** The field shows the setting times this (a fraction as a percentage). */
  scale: number;
  /** The config setting the field sets (null: a form-only field). */
  setting: NumberKey | null;
}

export const NUMBER_KEYS = SETTING_KEYS.filter(isNumberSetting);

/** The field that shows `setting` (valSplit is typed as a percentage). */
export function fieldOfSetting(setting: string): TrainField | undefined {
  if (setting === 'valSplit') return 'valPercent';
  if (!(SETTING_KEYS as string[]).includes(setting)) return undefined;
  const kind = settingSpec(setting as SettingKey).kind;
  return kind === 'switch' ? undefined : (setting as TrainField);
}

/** The number field of a number setting. */
export const numberFieldOf = (key: NumberKey): TrainNumberField => (key === 'valSplit' ? 'valPercent' : key);

function fromTable(key: NumberKey): NumberFieldSpec {
  const spec = settingSpec(key);
  if (spec.kind !== 'number') throw new Error(`${key} is not a number setting`);
  return { label: spec.label, hint: spec.hint, range: spec.range, note: spec.note, scale: key === 'valSplit' ? 100 : 1, setting: key };
}

const own = (label: string, hint: string, range: NumberRange): NumberFieldSpec => ({ label, hint, range, scale: 1, setting: null });

export const NUMBER_FIELDS: Record<TrainNumberField, NumberFieldSpec> = {
  ...(Object.fromEntries(NUMBER_KEYS.map((key) => [numberFieldOf(key), fromTable(key)])) as Record<TrainNumberField, NumberFieldSpec>),
  sampleEvery: own('Samples every', 'Steps; 0 = none.', { integer: true, min: 0 }),
  sampleTokens: own('Sample tokens', 'Per prompt, greedy.', { integer: true, min: 1, max: 200 }),
  budgetMiB: own('Memory budget (MiB)', 'Empty: 75% of the GPU’s memory when the device reports it, else its limits only.', MEMORY_BUDGET_MIB),
};

export interface ChoiceFieldSpec {
  label: string;
  hint: string;
  /** value → its label, in the order shown. */
  choices: Record<string, string>;
}

/** The form's choices: the table's, and how the run's length is given (steps or epochs, one field shown). */
export const CHOICE_FIELDS: Record<ChoiceKey | 'lengthBy', ChoiceFieldSpec> = {
  ...(Object.fromEntries(
    SETTING_KEYS.flatMap((key) => {
      const spec = settingSpec(key);
      return spec.kind === 'choice' ? [[key, { label: spec.label, hint: spec.hint, choices: spec.choices }]] : [];
    }),
  ) as Record<ChoiceKey, ChoiceFieldSpec>),
  lengthBy: { label: 'Run length by', hint: 'A number of steps, or passes over the data.', choices: { steps: 'Steps', epochs: 'Epochs' } },
};

const show = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 10 });

/** A range as the form says it: 'a whole number from 0 to 4,294,967,295', 'from 0 to below 100', 'above 0'. */
export function formRange(r: NumberRange, scale = 1): string {
  const min = r.min * scale;
  const max = r.max === undefined ? undefined : r.max * scale;
  if (r.integer) {
    const low = r.minOpen ? min + 1 : min;
    if (max === undefined) return `a whole number, ${show(low)} or more`;
    return `a whole number from ${show(low)} to ${show(r.maxOpen ? max - 1 : max)}`;
  }
  if (max !== undefined) return `${r.minOpen ? 'above' : 'from'} ${show(min)} to ${r.maxOpen ? 'below ' : ''}${show(max)}`;
  return r.minOpen ? `above ${show(min)}` : `${show(min)} or more`;
}

/** "<Label> must be <range> (<note>)." */
export function rangeMessage(field: NumberFieldSpec): string {
  return `${field.label} must be ${formRange(field.range, field.scale)}${field.note ? ` (${field.note})` : ''}.`;
}

/** What the box says when its text is no number at all. */
export const notANumberMessage = (text: string) => (text.trim().toLowerCase() === 'nan' ? 'NaN is not a number.' : 'Enter a number.');

const labelOf = (key: SettingKey) => settingSpec(key).label;

/** The form's names for settings and changes of them: its labels and its choices' labels. */
export const FORM_WORDS: SettingWords = {
  name: labelOf,
  range: (key) => (isNumberSetting(key) ? formRange(fromTable(key).range, fromTable(key).scale) : ''),
  atMost: (key, n) => `set ${labelOf(key)} to ${n} or less`,
  set: (key, value) => {
    const spec = settingSpec(key);
    if (spec.kind === 'switch') return `${spec.label} ${value ? 'on' : 'off'}`;
    if (spec.kind === 'choice') return `${spec.label} “${spec.choices[String(value)] ?? String(value)}”`;
    return `${spec.label} ${String(value)}`;
  },
  budget: (mib) => `${NUMBER_FIELDS.budgetMiB.label} ${mib} or more`,
};

function sentence(text: string): string {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return capital.endsWith('.') ? capital : `${capital}.`;
}

/** A settings problem in the form's words, naming the field by its label. */
export function formIssueMessage(issue: SettingIssue): string {
  if (issue.problem.kind === 'out-of-range' && isNumberSetting(issue.setting)) return rangeMessage(fromTable(issue.setting));
  if (issue.problem.kind === 'no-items') return `${labelOf(issue.setting)}: choose at least one.`;
  return sentence(`${labelOf(issue.setting)}: ${issueText(issue, FORM_WORDS)}`);
}
