import { describe, expect, it } from 'vitest';
import { DEFAULT_HUB_FORM, parseHubForm } from './hub-form';

describe('parseHubForm', () => {
  it('turns the form into a request', () => {
    expect(parseHubForm({ ...DEFAULT_HUB_FORM, repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF', file: 'qwen2.5-0.5b-instruct-q8_0.gguf' })).toEqual({
      ok: true,
      request: {
        endpoint: 'https://huggingface.co',
        repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF',
        revision: 'main',
        target: { kind: 'gguf', file: 'qwen2.5-0.5b-instruct-q8_0.gguf' },
      },
    });
    expect(parseHubForm({ ...DEFAULT_HUB_FORM, kind: 'hf', repo: 'a/b', folder: 'hf/', endpoint: 'http://127.0.0.1:4191/' })).toMatchObject({
      ok: true,
      request: { endpoint: 'http://127.0.0.1:4191', target: { kind: 'hf', folder: 'hf' } },
    });
  });
  it('names every wrong field at once', () => {
    const parsed = parseHubForm({ ...DEFAULT_HUB_FORM, repo: 'gpt2', file: 'model.safetensors', endpoint: 'ftp://x', revision: '..' });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.errors).sort()).toEqual(['endpoint', 'file', 'repo', 'revision']);
    expect(parsed.errors.file).toMatch(/not a \.gguf file/);
    expect(parseHubForm({ ...DEFAULT_HUB_FORM, repo: 'a/b' })).toMatchObject({ ok: false, errors: { file: expect.stringMatching(/Enter the/) } });
  });
});
