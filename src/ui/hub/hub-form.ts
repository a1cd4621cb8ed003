/**
 * The Hub download form as typed (plain strings) and its parse into a request, or one message per field that is
 * wrong, so each complaint shows beside its box.
 */
import { HubError } from '../../hub/errors';
import { DEFAULT_ENDPOINT, parseEndpoint, parseRepoId, parseRepoPath, parseRevision } from '../../hub/hub-url';
import type { HubModelRequest } from '../../hub/types';

export interface HubForm {
  repo: string;
  kind: 'gguf' | 'hf';
  /** The GGUF file's path in the repo (kind 'gguf'). */
  file: string;
  /** The model folder inside the repo, empty for its root (kind 'hf'). */
  folder: string;
  revision: string;
  endpoint: string;
}

export type HubFormField = 'repo' | 'file' | 'folder' | 'revision' | 'endpoint';
export type HubFieldErrors = Partial<Record<HubFormField, string>>;

export const DEFAULT_HUB_FORM: HubForm = { repo: '', kind: 'gguf', file: '', folder: '', revision: 'main', endpoint: DEFAULT_ENDPOINT };

export function parseHubForm(form: HubForm): { ok: true; request: HubModelRequest } | { ok: false; errors: HubFieldErrors } {
  const errors: HubFieldErrors = {};
  const read = <T,>(field: HubFormField, parse: () => T): T | null => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof HubError)) throw error;
      errors[field] = error.message;
      return null;
    }
  };
  const endpoint = read('endpoint', () => parseEndpoint(form.endpoint));
  const repo = read('repo', () => parseRepoId(form.repo));
  const revision = read('revision', () => parseRevision(form.revision));
  let target: HubModelRequest['target'] | null = null;
  if (form.kind === 'gguf') {
    const file = read('file', () => {
      if (form.file.trim() === '') throw new HubError('bad-input', 'Enter the .gguf file’s name, e.g. qwen2.5-0.5b-instruct-q8_0.gguf.');
      const path = parseRepoPath(form.file, 'file');
      if (!path.toLowerCase().endsWith('.gguf')) throw new HubError('bad-input', `${path} is not a .gguf file; for a folder of safetensors choose “Model folder”.`);
      return path;
    });
    if (file !== null) target = { kind: 'gguf', file };
  } else {
    const folder = read('folder', () => (form.folder.trim() === '' ? '' : parseRepoPath(form.folder, 'folder')));
    if (folder !== null) target = { kind: 'hf', folder };
  }
  if (endpoint === null || repo === null || revision === null || target === null) return { ok: false, errors };
  return { ok: true, request: { endpoint, repo, revision, target } };
}
