/**
 * Settings problems in words. A front end supplies how it names things (the CLI says '--seq-len', the studio
 * 'Sequence length', the core 'seqLen'); the facts in between (a projection's dimensions, a window's length) are
 * said here once. Nothing here knows a CLI flag or a form label: they come in through SettingWords.
 */
import {
  methodName,
  type NumberRange,
  PROMPT_ONLY_SETTINGS,
  type SettingChange,
  type SettingIssue,
  type SettingKey,
  settingSpec,
} from './settings';

export interface SettingWords {
  /** The setting as this front end names it. */
  name(key: SettingKey): string;
  /** The values a number setting accepts ('an integer ≥ 2', 'a whole number, 2 or more'). */
  range(key: SettingKey): string;
  /** Advice to keep a setting at or below a value ('use --rank ≤ 32', 'set Rank to 32 or less'). */
  atMost(key: SettingKey, n: number): string;
  /** A setting set to a value ('--quant nf4', 'Base weights: NF4 (QLoRA)'). */
  set(key: SettingKey, value: unknown): string;
  /** A memory budget of at least `mib` MiB ('--memory 2100', 'Memory budget (MiB) 2100'). */
  budget(mib: number): string;
}

/** 4294967296 reads better as 2^32 in an interval. */
const show = (n: number) => (n >= 2 ** 16 && Number.isInteger(Math.log2(n)) ? `2^${Math.log2(n)}` : String(n));

/** A range in the notation of the CLI and of the core's messages: 'a positive integer', 'a fraction in [0, 1)'. */
export function intervalText(r: NumberRange, noun?: string): string {
  const what = noun ?? (r.integer ? 'an integer' : 'a number');
  if (r.max !== undefined) return `${what} in ${r.minOpen ? '(' : '['}${show(r.min)}, ${show(r.max)}${r.maxOpen ? ')' : ']'}`;
  if ((r.min === 0 && r.minOpen) || (r.integer && r.min === 1 && !r.minOpen)) return r.integer ? 'a positive integer' : 'a positive finite number';
  if (r.integer && !r.minOpen && r.min === 0) return 'a non-negative integer';
  return `${what} ${r.minOpen ? '>' : '≥'} ${show(r.min)}`;
}

/** The range of `key` in that notation, with the table's note ('a number ≥ 0 (0 turns clipping off)'). */
export function rangeWithNote(key: SettingKey): string {
  const spec = settingSpec(key);
  if (spec.kind !== 'number') return '';
  return intervalText(spec.range, spec.noun) + (spec.note ? ` (${spec.note})` : '');
}

/** What is wrong, without the setting's own name in front (each front end places that). */
export function problemText(issue: SettingIssue, w: SettingWords): string {
  const p = issue.problem;
  const spec = settingSpec(issue.setting);
  const items = spec.kind === 'list' ? spec.items : [];
  switch (p.kind) {
    case 'not-a-number':
      return `'${p.text}' is not a number`;
    case 'out-of-range':
      return `${p.value} is not ${w.range(issue.setting)}`;
    case 'not-a-choice':
      return `'${p.value}' is not one of ${spec.kind === 'choice' ? Object.keys(spec.choices).join(', ') : ''}`;
    case 'no-items':
      return `none is chosen; choose at least one of ${items.join(',')}`;
    case 'unknown-item':
      return `'${p.item}' is not one of ${items.join(',')}`;
    case 'repeated-item':
      return `'${p.items.join(',')}' names an item twice`;
    case 'one-of':
      return `give exactly one of ${w.name(issue.setting)} and ${w.name(p.other)}`;
    case 'rank-above-projection':
      return `${p.value} is larger than the '${p.target}' projection's dimensions (${p.out}×${p.in})`;
    case 'beyond-window':
      return `${p.value} tokens is longer than the model's sliding attention window (${p.window})`;
    case 'not-for-method': {
      const owner = (PROMPT_ONLY_SETTINGS as readonly string[]).includes(issue.setting) ? 'a prompt-tuning' : 'a LoRA';
      return `${owner} setting, which ${methodName(p.method)} does not have (leave it at its default)`;
    }
    case 'no-room-for-text':
      return `${p.value} virtual tokens leave ${Math.max(0, p.seqLen - p.value)} of the sequence length's ${p.seqLen} tokens for text; it needs at least 2`;
    case 'too-long':
      return `the text is ${p.length} characters, more than ${p.maxLength}`;
  }
}

/** The problem and, when there is one, the advice: "64 is larger than …; use --rank ≤ 32". */
export function issueText(issue: SettingIssue, w: SettingWords): string {
  const advice = issue.advice ? `; ${w.atMost(issue.advice.setting, issue.advice.atMost)}` : '';
  return `${problemText(issue, w)}${advice}`;
}

export function changeText(change: SettingChange, w: SettingWords): string {
  return change.kind === 'set' ? w.set(change.setting, change.to) : w.budget(Math.ceil(change.bytes / 2 ** 20));
}

/** The core's own words, by TrainingConfig key: what an Error's message says when no front end has reworded it. */
export const KEY_WORDS: SettingWords = {
  name: (key) => key,
  range: rangeWithNote,
  atMost: (key, n) => `use ${key} ≤ ${n}`,
  set: (key, value) => `${key} = ${JSON.stringify(value)}`,
  budget: (mib) => `budgetBytes ≥ ${mib} MiB`,
};
