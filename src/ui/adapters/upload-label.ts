/** The name an upload is known by (the library entry is named after it): a lone file's name, else the folder's. */
import type { FolderFile } from '../../worker/protocol';

export function uploadLabel(files: readonly FolderFile[]): string {
  if (files.length === 0) return 'nothing';
  const first = files[0].path.split('/')[0];
  const shared = files.every((f) => f.path.startsWith(`${first}/`));
  // A folder holding one file is still named by the folder; a lone picked file by its own name.
  if (shared) return first;
  return files.length === 1 ? lastPart(files[0].path) : 'dropped files';
}

function lastPart(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
