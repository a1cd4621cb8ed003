/**
 * The training settings as CLI flags, all read from the settings table (src/train/settings.ts): the parseArgs
 * options, the --help lines, the parse into a TrainingConfig, and settings problems worded with flags.
 */
import { DEFAULT_TRAINING_CONFIG, TrainingConfigError, type TrainingConfig } from '../train/config';
import { noPlanText } from '../train/memory-plan';
import { MemoryLimitError } from '../train/session';
import { intervalText, issueText, rangeWithNote, type SettingWords } from '../train/setting-words';
import { type AnySetting, SETTING_KEYS, type SettingKey, type SettingProblem, settingProblem, settingSpec } from '../train/settings';
import { UsageError } from './output';

/** The settings the CLI offers (a few, such as the AdamW betas, keep their defaults there). */
const FLAGGED = SETTING_KEYS.filter((key) => settingSpec(key).flag !== null);

const flagOf = (key: SettingKey) => `--${settingSpec(key).flag ?? key}`;

/** parseArgs options for every flagged setting: switches are booleans, the rest strings parsed below. */
export const SETTING_FLAG_OPTIONS: Record<string, { type: 'string' | 'boolean' }> = Object.fromEntries(
  FLAGGED.map((key) => {
    const spec = settingSpec(key);
    return [spec.flag!, { type: spec.kind === 'switch' ? 'boolean' : 'string' }];
  }),
);

/** ' (a | b; default a)': the choices, if any, and the default, if there is one. */
function valuesText(spec: AnySetting): string {
  const parts: string[] = [];
  if (spec.kind === 'choice') parts.push(Object.keys(spec.choices).join(' | '));
  if (spec.kind === 'list') parts.push(`default ${spec.default.length === spec.items.length ? 'all' : spec.default.join(',')}`);
  else if (spec.kind !== 'switch' && spec.default !== null) parts.push(spec.default === '' ? 'default empty' : `default ${spec.default}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/** The --help lines of the settings, one per flag, in the table's order. */
export function settingFlagsHelp(): string {
  return FLAGGED.map((key) => {
    const spec = settingSpec(key);
    const left = `  --${spec.flag}${spec.arg ? ` ${spec.arg}` : ''}`;
    return `${left.padEnd(26)}${spec.help}${valuesText(spec)}`;
  }).join('\n');
}

/** How the CLI names settings and changes of them: by flag. */
export const CLI_WORDS: SettingWords = {
  name: flagOf,
  range: rangeWithNote,
  atMost: (key, n) => `use ${flagOf(key)} ≤ ${n}`,
  set: (key, value) => {
    const spec = settingSpec(key);
    if (spec.kind === 'switch') return value === spec.flagSets ? flagOf(key) : `no ${flagOf(key)}`;
    return `${flagOf(key)} ${Array.isArray(value) ? value.join(',') : String(value)}`;
  },
  budget: (mib) => `--memory ${mib}`,
};

/** A value given on the command line that the table refuses, said as the CLI says it. */
function flagValueMessage(key: SettingKey, text: string, problem: SettingProblem): string {
  const spec = settingSpec(key);
  const flag = flagOf(key);
  if (key === 'learningRate' && spec.kind === 'number') {
    // The learning rate says what the refused value would do: the two mistakes seen most are 0 and NaN.
    const n = Number(text);
    const why = n === 0 ? ' (0 would leave the adapter untouched)' : Number.isNaN(n) ? ' (NaN is not a number)' : '';
    return `${flag} got '${text}'; the learning rate must be ${intervalText(spec.range)}${why}`;
  }
  switch (problem.kind) {
    case 'out-of-range':
      return `${flag} got '${text}'; expected ${rangeWithNote(key)}`;
    case 'not-a-choice':
      return `${flag} got '${text}'; expected one of ${spec.kind === 'choice' ? Object.keys(spec.choices).join(', ') : ''}`;
    case 'no-items':
      return `${flag} is empty; expected a comma-separated list of ${spec.kind === 'list' ? spec.items.join(',') : ''}`;
    default:
      return `${flag}: ${issueText({ setting: key, problem }, CLI_WORDS)}`;
  }
}

function readFlag(key: SettingKey, raw: string | boolean): unknown {
  const spec = settingSpec(key);
  if (spec.kind === 'switch') return spec.flagSets;
  const text = String(raw);
  const value =
    spec.kind === 'number'
      ? text.trim() === ''
        ? Number.NaN
        : Number(text)
      : spec.kind === 'list'
        ? text.split(',').map((s) => s.trim()).filter(Boolean)
        : text;
  const problem = settingProblem(key, value);
  if (problem) throw new UsageError(flagValueMessage(key, text, problem));
  return value;
}

/** The TrainingConfig the flags give (the table's defaults for the rest); a refused value is a UsageError naming its flag. */
export function configFromFlags(values: Record<string, string | boolean | undefined>): TrainingConfig {
  if (values.steps !== undefined && values.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
  const config: Record<string, unknown> = { ...DEFAULT_TRAINING_CONFIG, targets: [...DEFAULT_TRAINING_CONFIG.targets] };
  for (const key of FLAGGED) {
    const raw = values[settingSpec(key).flag!];
    if (raw !== undefined) config[key] = readFlag(key, raw);
  }
  if (values.steps !== undefined) config.epochs = null;
  return config as unknown as TrainingConfig;
}

/** A settings or memory refusal from the shared training code, reworded with flags; anything else as it is. */
export function inCliWords(error: unknown): unknown {
  if (error instanceof TrainingConfigError) {
    return new UsageError(`${flagOf(error.issue.setting)}: ${issueText(error.issue, CLI_WORDS)}`);
  }
  if (error instanceof MemoryLimitError && error.plan) {
    return new MemoryLimitError(`this run does not fit the GPU: ${noPlanText(error.plan, CLI_WORDS)}`, error.plan);
  }
  return error;
}
