/**
 * Values on each side of every number setting's limits, from the settings table, so the tests of the core, the
 * CLI and the Train form check the same limits in the same places.
 */
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from '../config';
import { isNumberSetting, type NumberRange, PROMPT_ONLY_SETTINGS, type NumberSettingKey, SETTING_KEYS, type SettingKey, settingSpec } from '../settings';

export interface SettingBounds {
  key: NumberSettingKey;
  /** Allowed: each end of the range (or just inside an open end). */
  inside: number[];
  /** Refused: just past each end, and a fraction for an integer setting. */
  outside: number[];
}

const STEP = 1e-3;

function bounds(r: NumberRange): Omit<SettingBounds, 'key'> {
  const d = r.integer ? 1 : STEP;
  const inside = [r.minOpen ? r.min + d : r.min];
  const outside = [r.minOpen ? r.min : r.min - d];
  if (r.max !== undefined) {
    inside.push(r.maxOpen ? r.max - d : r.max);
    outside.push(r.maxOpen ? r.max : r.max + d);
  }
  if (r.integer) outside.push(inside[0] + 0.5);
  return { inside, outside };
}

/** Every number setting with its values inside and outside its range. */
export const NUMBER_BOUNDS: SettingBounds[] = SETTING_KEYS.filter(isNumberSetting).map((key) => {
  const spec = settingSpec(key);
  if (spec.kind !== 'number') throw new Error(`${key} is not a number setting`);
  return { key, ...bounds(spec.range) };
});

/**
 * The default config with `key` set to `value` (a number of steps replaces the default number of epochs; a
 * prompt-tuning setting comes with that method, and a sequence long enough for any number of virtual tokens).
 */
export function configWith(key: SettingKey, value: number): TrainingConfig {
  const prompt = (PROMPT_ONLY_SETTINGS as readonly string[]).includes(key) ? { method: 'prompt' as const, seqLen: 8192 } : {};
  return { ...DEFAULT_TRAINING_CONFIG, ...prompt, [key]: value, ...(key === 'maxSteps' ? { epochs: null } : {}) };
}
