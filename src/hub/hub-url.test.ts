import { describe, expect, it } from 'vitest';
import { entryFolder, entryKey, parseManifest, newManifest } from './cache-manifest';
import { parseEndpoint, parseRepoId, parseRepoPath, parseRevision, resolveUrl } from './hub-url';

describe('hub addresses', () => {
  it('builds the Hub layout, encoding each path segment and the revision', () => {
    expect(resolveUrl('https://huggingface.co', 'Qwen/Qwen2.5-0.5B-Instruct-GGUF', 'main', 'qwen2.5-0.5b-instruct-q8_0.gguf')).toBe(
      'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q8_0.gguf',
    );
    expect(resolveUrl('http://127.0.0.1:4191/mirror', 'a/b', 'refs/pr/1', 'sub dir/x#y.json')).toBe(
      'http://127.0.0.1:4191/mirror/a/b/resolve/refs%2Fpr%2F1/sub%20dir/x%23y.json',
    );
  });
  it('reads endpoints, repo ids, revisions and paths, naming what is wrong', () => {
    expect(parseEndpoint('')).toBe('https://huggingface.co');
    expect(parseEndpoint('hf-mirror.example/')).toBe('https://hf-mirror.example');
    expect(parseEndpoint('http://127.0.0.1:4191')).toBe('http://127.0.0.1:4191');
    expect(() => parseEndpoint('ftp://x')).toThrow(/https:\/\//);
    expect(parseRepoId(' HuggingFaceTB/SmolLM2-135M-Instruct ')).toBe('HuggingFaceTB/SmolLM2-135M-Instruct');
    expect(parseRepoId('https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/tree/main')).toBe('Qwen/Qwen2.5-0.5B-Instruct-GGUF');
    expect(() => parseRepoId('gpt2')).toThrow(/owner\/name/);
    expect(() => parseRepoId('a/b c')).toThrow(/may hold only/);
    expect(() => parseRepoId('')).toThrow(/Enter a repository id/);
    expect(parseRevision('')).toBe('main');
    expect(() => parseRevision('../x')).toThrow(/not a revision/);
    expect(parseRepoPath('/hf/', 'folder')).toBe('hf');
    expect(() => parseRepoPath('a/../b', 'file')).toThrow(/not a file path/);
  });
  it('keys entries by endpoint, repo, revision and target, with safe folder names', () => {
    const request = { endpoint: 'https://huggingface.co', repo: 'a/b', revision: 'main', target: { kind: 'gguf', file: 'x/m.gguf' } } as const;
    expect(entryKey(request)).toBe('https://huggingface.co|a/b|main|gguf:x/m.gguf');
    expect(entryFolder(entryKey(request))).not.toMatch(/[/:|.]/);
    const manifest = newManifest(request, [], 5);
    expect(parseManifest(JSON.parse(JSON.stringify(manifest)))).toEqual(manifest);
    expect(parseManifest({ ...manifest, key: 'other' })).toBeNull();
    expect(parseManifest({ ...manifest, files: [{ path: 1 }] })).toBeNull();
  });
});
