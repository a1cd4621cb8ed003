/**
 * An edit to one of the studio's forms, as every slice applies it: the patch merged into the form (kept as typed),
 * and the complaints of the fields it touched cleared. The other complaints stay until the next submit checks again.
 */
export function applyFormEdit<F extends object, E extends { [K in keyof F]?: string }>(
  form: F,
  errors: E,
  patch: Partial<F>,
): { form: F; errors: E } {
  const left = { ...errors };
  for (const field of Object.keys(patch)) delete left[field as keyof E];
  return { form: { ...form, ...patch }, errors: left };
}
