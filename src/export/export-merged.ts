/**
 * A merged export as the folder of files it is, for the CLI (written to disk) and the studio (zipped or saved):
 * a GGUF with its Ollama Modelfile and model card, or a Hugging Face folder with its card. The adapter must
 * already be in the base's q/k row layout (`fitAnyAdapter` / `adaptToBase`).
 */
import type { AnyAdapter } from '../adapters/any-adapter';
import { formatLabel, type MergedFormat } from './formats';
import { hfFolderFiles } from './hf-folder';
import { type ExportBase, mergedGguf } from './merged-gguf';
import { type CardFacts, modelCard } from './model-card';
import { mergedModelfile } from './modelfile';

export interface MergedExport {
  /** File name → parts: the folder the export is. */
  files: Record<string, Uint8Array[]>;
  /** What the user should know: per-tensor quantization fallbacks and the like (also in the card). */
  notes: string[];
}

export async function exportMerged(
  base: ExportBase,
  adapter: AnyAdapter | null,
  format: MergedFormat,
  facts: Omit<CardFacts, 'artifact' | 'notes'>,
  /** The GGUF file's name; by default `<name>.<type>.gguf`. */
  ggufName?: string,
): Promise<MergedExport> {
  const artifact = `merged model, ${format.kind === 'gguf' ? formatLabel(format) : `safetensors ${format.dtype.toUpperCase()} (Hugging Face folder)`}`;
  const text = (s: string) => [new TextEncoder().encode(s)];
  if (format.kind === 'gguf') {
    const made = await mergedGguf(base, adapter, format.type, facts.name);
    const gguf = ggufName ?? `${facts.name}.${format.type}.gguf`;
    return {
      files: {
        [gguf]: made.parts,
        Modelfile: text(mergedModelfile(gguf, `${facts.name}: ${facts.method} on ${facts.baseModel}, merged (${format.type.toUpperCase()}), made with webtune`)),
        'README.md': text(modelCard({ ...facts, artifact, notes: made.notes })),
      },
      notes: made.notes,
    };
  }
  const card = modelCard({ ...facts, artifact });
  return { files: await hfFolderFiles(base, adapter, format.dtype, { baseName: facts.baseModel, adapterName: facts.name, card }), notes: [] };
}
