/**
 * `webtune export`: a base with an adapter merged in (or the base alone) as a GGUF llama.cpp and Ollama run, with
 * its Modelfile and model card beside it, or as a Hugging Face folder. Each file is written under a temporary name
 * and renamed when whole, so an interrupted export leaves no half-written model.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAdapterFromPath } from '../adapters/load-node';
import { fitAnyAdapter } from '../adapters/import';
import { exportMerged } from '../export/export-merged';
import { formatLabel, GGUF_EXPORT_TYPES, type GgufExportType, HF_EXPORT_DTYPES, type HfExportDtype, type MergedFormat } from '../export/formats';
import { adapterCardFacts } from '../export/model-card';
import { closeModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { choiceOption } from './args';
import { log, out, UsageError } from './output';

const HELP = `usage: webtune export --model <file.gguf | hf-folder> [--adapter PATH] --out PATH [options]

  --adapter PATH          the adapter to merge: PEFT folder (LoRA, DoRA, IA³), adapter_model.safetensors, or a
                          GGUF LoRA; without it the base alone is written in the chosen format
  --format gguf|hf        a GGUF file (default), or a Hugging Face folder transformers loads
  --quant TYPE            GGUF weights: ${GGUF_EXPORT_TYPES.join(', ')} (default f16); a weight whose rows are not whole
                          blocks of the type falls back (Q4_K → Q4_0 → F16) and the export says which
  --dtype TYPE            Hugging Face weights: ${HF_EXPORT_DTYPES.join(', ')} (default bf16)
  --name NAME             the model's name in the file and its card (default: the adapter's file or folder name)
  --out PATH              gguf: the .gguf file (its Modelfile and README.md go beside it); hf: the folder
  --json                  print one JSON object: files written, bytes, notes
`;

async function writeWhole(path: string, parts: readonly Uint8Array[]): Promise<number> {
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, parts);
  await rename(partial, path);
  return parts.reduce((n, p) => n + p.byteLength, 0);
}

export async function runExport(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      adapter: { type: 'string' },
      format: { type: 'string' },
      quant: { type: 'string' },
      dtype: { type: 'string' },
      name: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    log(HELP);
    return;
  }
  if (!values.model) throw new UsageError(`--model is required\n\n${HELP}`);
  if (!values.out) throw new UsageError(`--out is required\n\n${HELP}`);
  const kind = choiceOption('format', values.format, ['gguf', 'hf'] as const) ?? 'gguf';
  if (kind === 'gguf' && values.dtype) throw new UsageError('--dtype is for --format hf; a GGUF takes --quant');
  if (kind === 'hf' && values.quant) throw new UsageError('--quant is for --format gguf; a Hugging Face folder takes --dtype');
  const format: MergedFormat =
    kind === 'gguf'
      ? { kind, type: choiceOption<GgufExportType>('quant', values.quant, GGUF_EXPORT_TYPES) ?? 'f16' }
      : { kind, dtype: choiceOption<HfExportDtype>('dtype', values.dtype, HF_EXPORT_DTYPES) ?? 'bf16' };

  const loaded = await loadModelFromPath(values.model);
  try {
    const read = values.adapter ? await loadAdapterFromPath(values.adapter, { base: { config: loaded.config, name: loaded.name } }) : null;
    const adapter = read ? fitAnyAdapter(read.adapter, loaded.config, loaded.name) : null;
    const name = values.name ?? (values.adapter ? basename(values.adapter).replace(/\.(gguf|safetensors)$/i, '') : basename(loaded.name).replace(/\.gguf$/i, ''));
    // The card names the base as the adapter records it (a Hub id when trained on one), else as loaded.
    const facts = adapter ? adapterCardFacts(adapter, name) : { name, baseModel: loaded.name, method: 'the base model, unchanged' };
    const folder = kind === 'gguf' ? dirname(values.out) : values.out;
    const made = await exportMerged(loaded, adapter, format, { ...facts, baseModel: facts.baseModel || loaded.name }, kind === 'gguf' ? basename(values.out) : undefined);
    await mkdir(folder, { recursive: true });
    const written: { path: string; bytes: number }[] = [];
    for (const [file, parts] of Object.entries(made.files)) {
      const path = join(folder, file);
      written.push({ path, bytes: await writeWhole(path, parts) });
    }
    for (const note of made.notes) log(`webtune export: ${note}`);
    if (values.json) {
      out(`${JSON.stringify({ format: formatLabel(format), files: written, notes: made.notes })}\n`);
    } else {
      for (const w of written) out(`${w.path}  ${(w.bytes / 2 ** 20).toFixed(2)} MiB\n`);
    }
  } finally {
    await closeModel(loaded);
  }
}
