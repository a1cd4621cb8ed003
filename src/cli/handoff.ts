/**
 * `webtune handoff`: the run a `webtune train` command line describes, written as an Axolotl config, a TRL script
 * and the run's split of the dataset (export/handoff.ts), so the fine-tune continues on a cluster. Takes train's
 * flags; the data is read, tokenized and split exactly as training would, and nothing is trained.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseDatasetFile } from '../data/load-node';
import { handoffOfDataset } from '../export/handoff-run';
import { closeModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { checkTrainingConfig } from '../train/config';
import { log, out, UsageError } from './output';
import { parseTrainArgs } from './train';

const HELP = `usage: webtune handoff --model <file.gguf | hf-folder> --data <file> --out <dir> [--base-id ID] [train's options]

Writes into --out what continues this run in a distributed trainer: axolotl.yaml (LoRA, QLoRA, DoRA),
train_trl.py (every method), train.jsonl and validation.jsonl (the examples the run trains and holds out, split as
webtune train splits them) and a README.md. Nothing is trained.

  --base-id ID            the base's Hugging Face Hub id the other tools download (default: --model as given)
  (every option of 'webtune train --help' sets the same setting here)
`;

export async function runHandoff(argv: string[]): Promise<void> {
  const at = argv.indexOf('--base-id');
  const baseId = at >= 0 ? argv[at + 1] : undefined;
  if (at >= 0 && (!baseId || baseId.startsWith('--'))) throw new UsageError('--base-id needs a Hub id (owner/name)');
  const args = parseTrainArgs(at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 2)] : argv);
  if (args.help) {
    log(HELP);
    return;
  }
  const { config } = args;
  checkTrainingConfig(config);
  const parsed = await parseDatasetFile(args.data, args);
  const loaded = await loadModelFromPath(args.model);
  try {
    const { files, dropped } = handoffOfDataset({
      model: loaded,
      parsed,
      datasetName: args.data,
      config,
      name: basename(args.outDir),
      baseModel: baseId ?? args.model,
    });
    await mkdir(args.outDir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(args.outDir, name), text);
      out(`${join(args.outDir, name)}\n`);
    }
    if (!baseId) log(`webtune handoff: the configs name the base as '${args.model}'; give --base-id with its Hugging Face Hub id so the other tools can download it`);
    if (config.method === 'ia3' || config.method === 'prompt') log('webtune handoff: Axolotl trains LoRA, QLoRA and DoRA only; this run continues with train_trl.py');
    if (dropped) log(`webtune handoff: ${dropped} rows left out, as training leaves them out (nothing to train in them)`);
  } finally {
    await closeModel(loaded);
  }
}
