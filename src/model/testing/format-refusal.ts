/** Shared check for the readers' tests: reading a broken file must fail with a ModelFormatError naming that file. */
import { expect } from 'vitest';
import { ModelFormatError } from '../errors';

export async function formatRefusal(reading: Promise<unknown>, file: string): Promise<ModelFormatError> {
  const error = await reading.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof ModelFormatError)) throw new Error(`expected a ModelFormatError, got ${String(error)}`);
  expect(error.message.startsWith(`${file}: `)).toBe(true);
  return error;
}
