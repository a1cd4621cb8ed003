/**
 * `webtune train`: LoRA/QLoRA (DoRA, IA³) fine-tuning from the command line. Progress goes to stderr; with --json,
 * stdout gets one JSON object of final metrics. Writes into --out: checkpoint.wtck (every --save-every steps, for
 * --resume), best.wtck, and the adapter as adapter_config.json + adapter_model.safetensors (PEFT) and, for LoRA,
 * adapter.gguf.
 */
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { GGUF_ADAPTER_FILE, writeAdapterFolder, writeIa3AdapterFolder, writePromptAdapterFolder } from '../adapters/save-node';
import { modelCard } from '../export/model-card';
import { adapterModelfile } from '../export/modelfile';
import { trainingCardSettings } from '../library/record-card';
import { type DatasetReadSettings, DEFAULT_READ_SETTINGS } from '../data/types';
import { openDatasetFile } from '../data/load-node';
import { nodeDataOpener } from '../data/stream/remote/node';
import type { GpuContext } from '../gpu/context';
import { commandContext } from './command-device';
import { closeModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from '../train/config';
import { formatBytes, trainableParameterCount } from '../train/memory-estimate';
import { runTrainingSession } from '../train/session';
import { sessionNoticeText } from '../train/session-notice';
import { inRange, MEMORY_BUDGET_MIB, methodRecordLabel, methodSummary, trainsLoraPairs } from '../train/settings';
import { FolderStorage } from '../train/storage-node';
import { isPositiveInt, numberOption } from './args';
import { log, out, UsageError } from './output';
import { DATASET_FLAG_OPTIONS, DATASET_FLAGS_HELP, parseDatasetFlags } from './dataset-flags';
import { ProgressReporter } from './progress';
import { CLI_WORDS, configFromFlags, inCliWords, SETTING_FLAG_OPTIONS, settingFlagsHelp } from './setting-flags';

const HELP = `usage: webtune train --model <file.gguf | hf-folder> --data <file> --out <dir> [options]

${settingFlagsHelp()}
${DATASET_FLAGS_HELP}
  --memory auto|MIB       the GPU memory the run plans for (default auto: 75% of what the GPU reports, or its
                          buffer limits only when it reports none); micro-batch, accumulation and checkpointing
                          are chosen to fit it, keeping the effective batch; a run no plan fits is refused
  --resume                continue the run whose checkpoint is in --out
  --stop-after N          pause after step N (checkpoint saved; continue later with --resume)
  --json                  print one JSON object of final metrics on stdout
`;

/** The run's README.md model card and, beside a GGUF LoRA, the Ollama Modelfile that puts it on its base. */
async function writeCardAndModelfile(
  args: { outDir: string; data: string; config: TrainingConfig },
  baseName: string,
  valLoss: number | null,
  steps: number,
  examples: { train: number; validation: number },
  gguf: boolean,
): Promise<string[]> {
  const c = args.config;
  const method = methodRecordLabel(c.method, c.quant);
  const card = modelCard({
    name: basename(args.outDir),
    baseModel: baseName,
    method,
    artifact: gguf ? 'PEFT adapter, and adapter.gguf (llama.cpp LoRA)' : 'PEFT adapter',
    ...(trainsLoraPairs(c.method) ? { rank: c.rank, alpha: c.alpha } : {}),
    targets: c.targets,
    dataset: { name: basename(args.data), examples: examples.train + examples.validation },
    validationLoss: valLoss,
    settings: trainingCardSettings(c, steps),
  });
  const written = [join(args.outDir, 'README.md')];
  await writeFile(written[0], card);
  if (gguf) {
    written.push(join(args.outDir, 'Modelfile'));
    await writeFile(written[1], adapterModelfile(basename(baseName), GGUF_ADAPTER_FILE, `${method} adapter on ${baseName}, made with webtune`));
  }
  return written;
}

export function parseTrainArgs(argv: string[]): {
  model: string;
  data: string;
  outDir: string;
  config: TrainingConfig;
  resume: boolean;
  json: boolean;
  budgetBytes?: number;
  stopAfter?: number;
  help: boolean;
} & DatasetReadSettings {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      ...SETTING_FLAG_OPTIONS,
      ...DATASET_FLAG_OPTIONS,
      memory: { type: 'string' },
      resume: { type: 'boolean' },
      'stop-after': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const help = values.help ?? false;
  const empty = { model: '', data: '', outDir: '', config: DEFAULT_TRAINING_CONFIG, ...DEFAULT_READ_SETTINGS, resume: false, json: false, help };
  if (help) return empty;
  if (!values.model) throw new UsageError(`--model is required\n\n${HELP}`);
  if (!values.data) throw new UsageError(`--data is required\n\n${HELP}`);
  if (!values.out) throw new UsageError(`--out is required (the folder for checkpoints and the adapter)\n\n${HELP}`);
  const num = (name: string, check: (n: number) => boolean, expected: string) =>
    numberOption(name, (values as Record<string, string | undefined>)[name], check, expected);
  // --column is a dataset flag (a list, read by parseDatasetFlags), not a training setting.
  const config = configFromFlags({ ...values, column: undefined });
  const budget =
    values.memory === undefined || values.memory === 'auto'
      ? undefined
      : num('memory', (n) => inRange(MEMORY_BUDGET_MIB, n), "'auto' or a positive number of MiB");
  return {
    model: values.model,
    data: values.data,
    outDir: values.out,
    config,
    ...parseDatasetFlags(values),
    resume: values.resume ?? false,
    json: values.json ?? false,
    budgetBytes: budget === undefined ? undefined : Math.floor(budget * 2 ** 20),
    stopAfter: num('stop-after', isPositiveInt, 'a positive integer'),
    help,
  };
}

export async function runTrain(argv: string[]): Promise<void> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    log(HELP);
    return;
  }
  // Streamed by the run: nothing is read here but the file's presence.
  const dataset = { blob: await openDatasetFile(args.data), read: { format: args.format, mapping: args.mapping, onBadRow: args.onBadRow } };
  const loaded = await loadModelFromPath(args.model);
  const controller = new AbortController();
  const onSigint = () => {
    log('\nwebtune train: stopping after this step (a checkpoint will be saved)…');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  let ctx: GpuContext | null = null;
  try {
    ctx = await commandContext();
    const storage = new FolderStorage(args.outDir);
    const progress = new ProgressReporter(process.stderr, true);
    const method = methodSummary(args.config);
    const trainable = trainableParameterCount(args.config, loaded.config).toLocaleString('en-US');
    log(`webtune: training ${loaded.name} on ${args.data} → ${args.outDir}${args.resume ? ' (resuming)' : ''}; ${method}, ${trainable} trainable parameters`);
    const result = await runTrainingSession({
      ctx,
      model: loaded,
      dataset,
      datasetName: args.data,
      config: args.config,
      storage,
      resume: args.resume,
      budgetBytes: args.budgetBytes,
      onProgress: (e) => progress.update(e),
      onDataProgress: (d) => progress.data(d),
      onValidation: (v) => {
        if (v.step === 0) log(`before training: validation loss ${v.loss.toFixed(4)}, perplexity ${v.perplexity.toFixed(2)}`);
      },
      onNotice: (notice) => log(`webtune: ${sessionNoticeText(notice, CLI_WORDS)}`),
      signal: controller.signal,
      untilStep: args.stopAfter,
      openData: nodeDataOpener(args.data), // read and tokenized in a worker thread, off the GPU's
    });
    progress.end();
    const files = result.adapter
      ? await writeAdapterFolder(args.outDir, result.adapter)
      : result.prompt
        ? await writePromptAdapterFolder(args.outDir, result.prompt)
        : await writeIa3AdapterFolder(args.outDir, result.ia3!, loaded.config);
    const { loop } = result;
    const gguf = Boolean(result.adapter && !result.adapter.config.useDora);
    const examples = { train: result.data.train, validation: result.data.validation };
    files.push(...(await writeCardAndModelfile(args, loaded.name, loop.best?.loss ?? result.finalValLoss ?? null, loop.steps, examples, gguf)));
    if (loop.stopReason === 'paused' || loop.stopReason === 'aborted') {
      log(`webtune: stopped at step ${loop.steps}/${loop.totalSteps}; checkpoint in ${args.outDir}. Run the same command with --resume to continue.`);
    }
    log(
      `webtune: ${loop.steps} steps (${loop.stopReason}), train loss ${result.finalTrainLoss.toFixed(4)}` +
        (result.finalValLoss === null ? '' : `, validation loss ${result.finalValLoss.toFixed(4)}`) +
        `, ${loop.tokensPerSecond.toFixed(0)} tok/s; GPU peak ${formatBytes(result.peakBytes)} (estimated ${formatBytes(result.estimate.totalBytes)})` +
        `\nwebtune: adapter from step ${result.adapterStep} written: ${files.join(', ')}`,
    );
    if (args.json) {
      out(
        `${JSON.stringify({
          trainLoss: result.finalTrainLoss,
          valLoss: result.finalValLoss,
          bestValLoss: loop.best?.loss ?? null,
          bestStep: loop.best?.step ?? null,
          adapterStep: result.adapterStep,
          steps: loop.steps,
          totalSteps: loop.totalSteps,
          stopReason: loop.stopReason,
          tokensPerSecond: loop.tokensPerSecond,
          elapsedSeconds: loop.elapsedSeconds,
          peakBytes: result.peakBytes,
          estimatedBytes: result.estimate.totalBytes,
          memoryPlan: { ...result.plan.settings, budgetBytes: result.plan.budget?.bytes ?? null, changed: result.plan.changed },
          trainExamples: result.data.train,
          validationExamples: result.data.validation,
          streamed: result.data.streamed,
          truncatedExamples: result.data.truncatedCount,
          losses: loop.history.steps.map((s) => s.loss),
          validations: loop.history.validations,
          files,
        })}\n`,
      );
    }
  } catch (error) {
    throw inCliWords(error);
  } finally {
    process.off('SIGINT', onSigint);
    await ctx?.close();
    await closeModel(loaded);
  }
}
