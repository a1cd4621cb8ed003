/**
 * Parsing of the commands' own options (--memory, --format, eval's flags): each bad value becomes a
 * UsageError naming the flag. The training settings' flags are read from the settings table (setting-flags.ts).
 */
import { UsageError } from './output';

export function numberOption(
  name: string,
  value: string | undefined,
  check: (n: number) => boolean,
  expected: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || Number.isNaN(n) || !check(n)) throw new UsageError(`--${name} got '${value}'; expected ${expected}`);
  return n;
}

export const isPositiveInt = (n: number) => Number.isInteger(n) && n > 0;

export function choiceOption<T extends string>(name: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} got '${value}'; expected one of ${choices.join(', ')}`);
  }
  return value as T;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
