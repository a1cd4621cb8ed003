import { describe, expect, it } from 'vitest';
import { applyFormEdit } from './form-edit';

describe('applyFormEdit', () => {
  const form = { repo: 'a/b', file: 'x.gguf', chat: true };
  const errors = { repo: 'Not a repository.', file: 'Not a file.' };

  it('merges the patch and clears only the complaints of the fields it touched', () => {
    const edited = applyFormEdit(form, errors, { repo: 'c/d' });
    expect(edited.form).toEqual({ repo: 'c/d', file: 'x.gguf', chat: true });
    expect(edited.errors).toEqual({ file: 'Not a file.' });
  });

  it('leaves the complaints alone for a field that has none, and never mutates its inputs', () => {
    const edited = applyFormEdit(form, errors, { chat: false });
    expect(edited.errors).toEqual(errors);
    expect(edited.errors).not.toBe(errors);
    expect(form.chat).toBe(true);
    expect(errors).toEqual({ repo: 'Not a repository.', file: 'Not a file.' });
  });
});
