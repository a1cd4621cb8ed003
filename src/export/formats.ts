/**
 * The merged-export formats as a table the CLI, the worker and the studio's menu share: the GGUF weight types and
 * the Hugging Face folder's dtypes, and how each is named to the user. (The writers are merged-gguf.ts and
 * hf-folder.ts; this file imports neither, so the page can name formats without loading them.)
 */

export type GgufExportType = 'f32' | 'f16' | 'q8_0' | 'q4_0' | 'q4_k';
export const GGUF_EXPORT_TYPES: readonly GgufExportType[] = ['f16', 'q8_0', 'q4_0', 'q4_k', 'f32'];

export type HfExportDtype = 'bf16' | 'f16' | 'f32';
export const HF_EXPORT_DTYPES: readonly HfExportDtype[] = ['bf16', 'f16', 'f32'];

export type MergedFormat = { kind: 'gguf'; type: GgufExportType } | { kind: 'hf'; dtype: HfExportDtype };

/** Every merged format, in the order the studio offers them (the first is its default). */
export const MERGED_FORMATS: readonly MergedFormat[] = [
  ...(['q8_0', 'q4_k', 'q4_0', 'f16', 'f32'] as const).map((type) => ({ kind: 'gguf' as const, type })),
  ...HF_EXPORT_DTYPES.map((dtype) => ({ kind: 'hf' as const, dtype })),
];

export function formatLabel(format: MergedFormat): string {
  return format.kind === 'gguf' ? `GGUF ${format.type.toUpperCase()}` : `Hugging Face folder, ${format.dtype.toUpperCase()}`;
}

/** A stable key for a format ('gguf:q8_0', 'hf:bf16'), for menus. */
export function formatKey(format: MergedFormat): string {
  return format.kind === 'gguf' ? `gguf:${format.type}` : `hf:${format.dtype}`;
}
