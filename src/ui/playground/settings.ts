/**
 * The playground's form as the user typed it (numbers stay strings while edited, so "0." is not lost), and its
 * parse into the engine's GenerateSettings with a message per bad field.
 */
import type { GenerateSettings } from '../../worker/protocol';

export interface PlaygroundForm {
  prompt: string;
  chat: boolean;
  greedy: boolean;
  maxTokens: string;
  temperature: string;
  topK: string;
  topP: string;
  repetitionPenalty: string;
  seed: string;
}

export const NUMBER_FIELDS = ['maxTokens', 'temperature', 'topK', 'topP', 'repetitionPenalty', 'seed'] as const;
export type NumberField = (typeof NUMBER_FIELDS)[number];

export type FieldErrors = Partial<Record<NumberField, string>>;

export const DEFAULT_FORM: PlaygroundForm = {
  prompt: 'Once upon a time',
  chat: false,
  greedy: true,
  maxTokens: '128',
  temperature: '0.8',
  topK: '40',
  topP: '0.95',
  repetitionPenalty: '1',
  seed: '0',
};

/** Fields that only matter when sampling (greedy ignores them; the repetition penalty applies to both). */
export const SAMPLING_ONLY: readonly NumberField[] = ['temperature', 'topK', 'topP', 'seed'];

export type ParsedForm = { ok: true; settings: GenerateSettings } | { ok: false; errors: FieldErrors };

/** `contextLength`: the loaded model's context, the most tokens one generation can make. */
export function parseForm(form: PlaygroundForm, contextLength: number): ParsedForm {
  const errors: FieldErrors = {};
  const read = (field: NumberField, check: (n: number) => string | null, skip = false): number => {
    const text = form[field].trim();
    const n = text === '' ? Number.NaN : Number(text);
    if (skip) return Number.isFinite(n) ? n : 0;
    const problem = Number.isFinite(n) ? check(n) : 'Enter a number.';
    if (problem) errors[field] = problem;
    return n;
  };
  const whole = (min: number, max: number) => (n: number) =>
    Number.isInteger(n) && n >= min && n <= max ? null : `A whole number from ${min} to ${max.toLocaleString('en-US')}.`;
  const sampling = !form.greedy;
  const settings: GenerateSettings = {
    prompt: form.prompt,
    chat: form.chat,
    maxTokens: read('maxTokens', whole(1, contextLength)),
    sampling: {
      greedy: form.greedy,
      temperature: read('temperature', (n) => (n > 0 ? null : 'More than 0 (turn on Greedy for 0).'), !sampling),
      topK: read('topK', whole(0, 1_000_000), !sampling),
      topP: read('topP', (n) => (n > 0 && n <= 1 ? null : 'More than 0, at most 1.'), !sampling),
      repetitionPenalty: read('repetitionPenalty', (n) => (n > 0 ? null : 'More than 0 (1 is off).')),
      seed: read('seed', whole(0, 2 ** 32 - 1), !sampling),
    },
  };
  return Object.keys(errors).length === 0 ? { ok: true, settings } : { ok: false, errors };
}
