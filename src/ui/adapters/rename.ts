/** The rename field's rule: a name to show in the library, trimmed, neither empty nor longer than a line. */

export const MAX_ADAPTER_NAME = 100;

export type ParsedName = { ok: true; name: string } | { ok: false; message: string };

export function parseAdapterName(input: string): ParsedName {
  const name = input.replace(/\s+/g, ' ').trim();
  if (!name) return { ok: false, message: 'Give the adapter a name (it cannot be empty).' };
  if (name.length > MAX_ADAPTER_NAME) {
    return { ok: false, message: `Keep the name to ${MAX_ADAPTER_NAME} characters (this one has ${name.length}).` };
  }
  return { ok: true, name };
}
