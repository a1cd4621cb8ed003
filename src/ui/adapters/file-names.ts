/**
 * Download file names from an adapter's name: what the user called it, made safe for every file system
 * (no path separators, reserved characters or control characters; no leading dots), never empty.
 */

import type { MergedFormat } from '../../export/formats';

export type ExportKind = 'peft' | 'gguf';

const EXTENSIONS: Record<ExportKind, string> = {
  peft: '.zip',
  gguf: '.gguf',
};

/** The adapter's name as a file stem: "moon / v2?" → "moon - v2". */
export function fileStem(name: string): string {
  const stem = name
    // Characters Windows, macOS or Linux refuse in names, and control characters.
    .replace(/[<>:"/\\|?*\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '')
    .replace(/[. ]+$/, '')
    .slice(0, 120)
    .trim();
  return stem || 'adapter';
}

export function exportFileName(name: string, kind: ExportKind): string {
  return `${fileStem(name)}${EXTENSIONS[kind]}`;
}

/** A merged export's .zip: "moon-merged-q8_0.zip", "moon-merged-hf-bf16.zip". */
export function mergedFileName(name: string, format: MergedFormat): string {
  return `${fileStem(name)}-merged-${format.kind === 'gguf' ? format.type : `hf-${format.dtype}`}.zip`;
}
