/**
 * Where a Hub file lives: `<endpoint>/<owner>/<repo>/resolve/<revision>/<path>`, the layout huggingface.co and its
 * mirrors (HF_ENDPOINT) share. Parsers here turn what the user typed into typed values or a HubError saying what is
 * wrong with it, before anything is fetched.
 */
import { HubError } from './errors';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

/** An endpoint as typed ("huggingface.co/", "http://127.0.0.1:4191") → its origin plus path, without a trailing slash. */
export function parseEndpoint(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`);
  } catch {
    throw new HubError('bad-input', `'${trimmed}' is not a web address (for example ${DEFAULT_ENDPOINT}).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new HubError('bad-input', `The Hub address must start with https:// (got ${url.protocol}).`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new HubError('bad-input', `The Hub address must be a plain address, without a query, fragment or user name.`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Owner and name as the Hub allows them: letters, digits, '-', '_', '.', not starting with '.' or '-', at most 96. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,95}$/;

/** "owner/name" (also accepts a pasted https://huggingface.co/owner/name URL) → "owner/name". */
export function parseRepoId(text: string): string {
  let id = text.trim();
  const fromUrl = /^https?:\/\/[^/]+\/([^/]+\/[^/?#]+)/.exec(id);
  if (fromUrl) id = fromUrl[1];
  if (id === '') throw new HubError('bad-input', 'Enter a repository id such as HuggingFaceTB/SmolLM2-135M-Instruct.');
  const parts = id.split('/');
  if (parts.length !== 2) {
    throw new HubError('bad-input', `'${id}' is not a repository id: write it as owner/name, e.g. Qwen/Qwen2.5-0.5B-Instruct-GGUF.`);
  }
  for (const part of parts) {
    if (!NAME.test(part) || part.includes('..')) {
      throw new HubError('bad-input', `'${id}': '${part}' may hold only letters, digits, '-', '_' and '.'.`);
    }
  }
  return id;
}

/** A revision: a branch, tag or commit; '/' allowed (refs/pr/1), '..' and spaces not. */
export function parseRevision(text: string): string {
  const revision = text.trim() || DEFAULT_REVISION;
  if (!/^[A-Za-z0-9_.\-/]+$/.test(revision) || revision.includes('..') || revision.startsWith('/')) {
    throw new HubError('bad-input', `'${revision}' is not a revision: use a branch, tag or commit hash (default main).`);
  }
  return revision;
}

/** A file (or folder) path inside the repo: no leading '/', no '..', no empty parts. */
export function parseRepoPath(text: string, what: string): string {
  const path = text.trim().replace(/^\/+|\/+$/g, '');
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..') || /[?#\\]/.test(path)) {
    throw new HubError('bad-input', `'${text.trim()}' is not a ${what} path inside the repository.`);
  }
  return path;
}

/** The download URL of one file (each path segment encoded; the revision's '/' become %2F as the Hub expects). */
export function resolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  const file = path.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}
