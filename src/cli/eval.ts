/** `webtune eval`: mean loss and perplexity of a model (optionally with an adapter) over a dataset's examples. */
import { parseArgs } from 'node:util';
import { loadAdapterFromPath } from '../adapters/load-node';
import { parseDatasetFile } from '../data/load-node';
import type { GpuContext } from '../gpu/context';
import { commandContext } from './command-device';
import { closeModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { evaluateDataset } from '../train/evaluate';
import { DATASET_FLAG_OPTIONS, DATASET_FLAGS_HELP, parseDatasetFlags } from './dataset-flags';
import { log, out, UsageError } from './output';
import { configFromFlags } from './setting-flags';

const HELP = `usage: webtune eval --model <file.gguf | hf-folder> --data <file> [options]

  --adapter PATH          a LoRA adapter: PEFT folder, adapter_model.safetensors, or a GGUF LoRA file
  --seq-len L             longest sequence; longer examples are truncated (default 256)
  --batch B               sequences per forward pass (default 8)
  --train-on-inputs       count prompt/user tokens too (default: only completion/assistant tokens)
${DATASET_FLAGS_HELP}
  --quant none|nf4        load the base as NF4 (as a QLoRA run trained it)
  --json                  print one JSON object: meanLoss, perplexity, examples, tokens
`;

export async function runEval(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      adapter: { type: 'string' },
      'seq-len': { type: 'string' },
      batch: { type: 'string' },
      'train-on-inputs': { type: 'boolean' },
      ...DATASET_FLAG_OPTIONS,
      quant: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    log(HELP);
    return;
  }
  if (!values.model) throw new UsageError(`--model is required\n\n${HELP}`);
  if (!values.data) throw new UsageError(`--data is required\n\n${HELP}`);
  // The same settings as a training run's, so the same limits and messages (the settings table); eval's own default
  // batch is larger, since no gradients are kept.
  const { seqLen, batchSize, trainOnInputs, quant } = configFromFlags({
    'seq-len': values['seq-len'],
    batch: values.batch ?? '8',
    'train-on-inputs': values['train-on-inputs'],
    quant: values.quant,
  });
  const read = parseDatasetFlags(values);

  const dataset = await parseDatasetFile(values.data, read);
  const adapter = values.adapter ? (await loadAdapterFromPath(values.adapter)).adapter : null;
  const loaded = await loadModelFromPath(values.model);
  let ctx: GpuContext | null = null;
  try {
    ctx = await commandContext();
    const r = await evaluateDataset({
      ctx,
      model: loaded,
      dataset,
      datasetName: values.data,
      adapter,
      seqLen,
      batchSize,
      trainOnInputs,
      quant,
    });
    if (values.json) {
      out(`${JSON.stringify({ meanLoss: r.meanLoss, perplexity: r.perplexity, examples: r.examples, trainedTokens: r.trainedTokens, truncated: r.truncated })}\n`);
    } else {
      out(`mean loss ${r.meanLoss.toFixed(4)}  perplexity ${r.perplexity.toFixed(3)}  (${r.examples} examples, ${r.trainedTokens} tokens)\n`);
    }
  } finally {
    await ctx?.close();
    await closeModel(loaded);
  }
}
