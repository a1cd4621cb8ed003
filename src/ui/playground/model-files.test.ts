import { describe, expect, it } from 'vitest';
import { pickModel } from './model-files';

const file = (path: string) => ({ path, file: new File(['x'], path.slice(path.lastIndexOf('/') + 1)) });

describe('pickModel', () => {
  it('opens one .gguf file as a GGUF model', () => {
    const picked = pickModel([file('stories.GGUF')]);
    expect(picked.ok && picked.source.kind).toBe('gguf-file');
  });

  it('opens a folder as a Hugging Face folder labelled with its name', () => {
    const picked = pickModel([file('tiny/config.json'), file('tiny/model.safetensors'), file('tiny/tokenizer.json')]);
    expect(picked.ok && picked.source.kind).toBe('folder');
    expect(picked.ok && picked.label).toBe('tiny');
  });

  it('opens the only .gguf of a folder that has no config.json', () => {
    const picked = pickModel([file('m/README.md'), file('m/model-q4.gguf')]);
    expect(picked.ok && picked.source.kind).toBe('gguf-file');
  });

  it('says what it wants for a lone file that is not a model, and for nothing at all', () => {
    expect(pickModel([file('notes.txt')])).toEqual({
      ok: false,
      message: expect.stringMatching(/^notes\.txt is not a model file\. Open a \.gguf file/),
    });
    expect(pickModel([]).ok).toBe(false);
    expect(pickModel([file('a/x.gguf'), file('a/y.gguf')])).toEqual({ ok: false, message: expect.stringMatching(/2 GGUF/) });
  });
});
