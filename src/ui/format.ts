/** Number and error formatting for display. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 134217728 → "128 MiB"; keeps up to two decimals only where they carry information. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = Number.isInteger(value) ? 0 : value < 10 ? 2 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** An error's message for display (a thrown value that is not an Error, as its string). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
