/**
 * `webtune train`: LoRA/QLoRA fine-tuning from the command line. Progress goes to stderr; with --json, stdout gets
 * one JSON object of final metrics. Writes into --out: checkpoint.wtck (every --save-every steps, for --resume),
 * best.wtck, and the adapter as adapter_config.json + adapter_model.safetensors (PEFT) and adapter.gguf.
 */
import { parseArgs } from 'node:util';
import { writeAdapterFolder } from '../adapters/save-node';
import { DATASET_SHAPES } from '../data/types';
import { parseDatasetFile } from '../data/load-node';
import { GpuContext } from '../gpu/context';
import { acquireNodeDevice } from '../gpu/device-node';
import { LORA_TARGETS } from '../gpu/lora/lora-linear';
import { closeModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { DEFAULT_TRAINING_CONFIG, TrainingConfigError, type TrainingConfig } from '../train/config';
import { formatBytes } from '../train/memory-estimate';
import { SCHEDULE_KINDS } from '../train/schedule';
import { runTrainingSession } from '../train/session';
import { FolderStorage } from '../train/storage-node';
import { choiceOption, isNonNegativeInt, isPositiveInt, listOption, numberOption } from './args';
import { log, out, UsageError } from './output';
import { ProgressReporter } from './progress';

const D = DEFAULT_TRAINING_CONFIG;
const HELP = `usage: webtune train --model <file.gguf | hf-folder> --data <file> --out <dir> [options]

  --steps N               optimizer steps (or --epochs; default ${D.epochs} epoch)
  --epochs E              passes over the training set
  --rank R                LoRA rank (default ${D.rank})
  --alpha A               LoRA alpha (default ${D.alpha})
  --rslora                scale by alpha/√r instead of alpha/r
  --targets LIST          adapted layers among ${LORA_TARGETS.join(',')} (default all)
  --dropout P             LoRA dropout (default ${D.dropout})
  --lr LR                 peak learning rate (default ${D.learningRate})
  --schedule S            ${SCHEDULE_KINDS.join(' | ')} (default ${D.schedule})
  --warmup N              warmup steps (default ${D.warmupSteps})
  --weight-decay W        AdamW weight decay (default ${D.weightDecay})
  --max-grad-norm G       clip the global gradient norm at G; 0 = off (default ${D.maxGradNorm})
  --batch B               sequences per micro-batch (default ${D.batchSize})
  --grad-accum G          micro-batches per optimizer step (default ${D.gradAccum})
  --seq-len L             longest sequence in tokens; longer examples are truncated (default ${D.seqLen})
  --over-length MODE      truncate (default: cut, and report how many) or refuse examples longer than --seq-len
  --pack                  pack several examples into one micro-batch (they never attend to each other)
  --train-on-inputs       also train on prompt/user tokens
  --format F              dataset format: auto | ${DATASET_SHAPES.join(' | ')} (default auto)
  --val-split F           share of examples held out for validation (default ${D.valSplit})
  --eval-every N          validate every N steps; 0 = only at the end (default ${D.evalEvery})
  --save-every N          checkpoint every N steps; 0 = only at the end (default ${D.saveEvery})
  --patience N            stop after N validations without improvement; 0 = never (default ${D.patience})
  --keep-last             export the last adapter, not the one with the best validation loss
  --quant none|nf4        keep the base in 4-bit NF4 on the GPU (QLoRA); GGUF quantized weights stay as they are
  --checkpointing         recompute activations in backward (less memory, ~1.3x slower)
  --memory-budget MIB     refuse a run whose estimate exceeds this many MiB
  --seed S                one seed for the whole run (default ${D.seed})
  --resume                continue the run whose checkpoint is in --out
  --stop-after N          pause after step N (checkpoint saved; continue later with --resume)
  --json                  print one JSON object of final metrics on stdout
`;

export function parseTrainArgs(argv: string[]): {
  model: string;
  data: string;
  outDir: string;
  config: TrainingConfig;
  format: (typeof DATASET_SHAPES)[number] | 'auto';
  resume: boolean;
  json: boolean;
  budgetBytes?: number;
  stopAfter?: number;
  help: boolean;
} {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      steps: { type: 'string' },
      epochs: { type: 'string' },
      rank: { type: 'string' },
      alpha: { type: 'string' },
      rslora: { type: 'boolean' },
      targets: { type: 'string' },
      dropout: { type: 'string' },
      lr: { type: 'string' },
      schedule: { type: 'string' },
      warmup: { type: 'string' },
      'weight-decay': { type: 'string' },
      'max-grad-norm': { type: 'string' },
      batch: { type: 'string' },
      'grad-accum': { type: 'string' },
      'seq-len': { type: 'string' },
      pack: { type: 'boolean' },
      'over-length': { type: 'string' },
      'train-on-inputs': { type: 'boolean' },
      format: { type: 'string' },
      'val-split': { type: 'string' },
      'eval-every': { type: 'string' },
      'save-every': { type: 'string' },
      patience: { type: 'string' },
      'keep-last': { type: 'boolean' },
      quant: { type: 'string' },
      checkpointing: { type: 'boolean' },
      'memory-budget': { type: 'string' },
      seed: { type: 'string' },
      resume: { type: 'boolean' },
      'stop-after': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const help = values.help ?? false;
  const empty = { model: '', data: '', outDir: '', config: D, format: 'auto' as const, resume: false, json: false, help };
  if (help) return empty;
  if (!values.model) throw new UsageError(`--model is required\n\n${HELP}`);
  if (!values.data) throw new UsageError(`--data is required\n\n${HELP}`);
  if (!values.out) throw new UsageError(`--out is required (the folder for checkpoints and the adapter)\n\n${HELP}`);
  if (values.steps !== undefined && values.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
  const num = (name: string, check: (n: number) => boolean, expected: string) =>
    numberOption(name, (values as Record<string, string | undefined>)[name], check, expected);
  const lr = values.lr === undefined ? undefined : Number(values.lr);
  if (lr !== undefined && (values.lr!.trim() === '' || !(lr > 0) || !Number.isFinite(lr))) {
    throw new UsageError(
      `--lr got '${values.lr}'; the learning rate must be a positive finite number` +
        (lr === 0 ? ' (0 would leave the adapter untouched)' : Number.isNaN(lr) ? ' (NaN is not a number)' : ''),
    );
  }
  const steps = num('steps', isPositiveInt, 'a positive integer');
  const epochs = num('epochs', (n) => n > 0 && Number.isFinite(n), 'a positive number');
  const config: TrainingConfig = {
    ...D,
    rank: num('rank', isPositiveInt, 'a positive integer') ?? D.rank,
    alpha: num('alpha', (n) => n > 0 && Number.isFinite(n), 'a positive number') ?? D.alpha,
    rsLora: values.rslora ?? false,
    targets: listOption('targets', values.targets, LORA_TARGETS) ?? [...LORA_TARGETS],
    dropout: num('dropout', (n) => n >= 0 && n < 1, 'a probability in [0, 1)') ?? D.dropout,
    learningRate: lr ?? D.learningRate,
    schedule: choiceOption('schedule', values.schedule, SCHEDULE_KINDS) ?? D.schedule,
    warmupSteps: num('warmup', isNonNegativeInt, 'a non-negative integer') ?? D.warmupSteps,
    weightDecay: num('weight-decay', (n) => n >= 0 && Number.isFinite(n), 'a number ≥ 0') ?? D.weightDecay,
    maxGradNorm: num('max-grad-norm', (n) => n >= 0 && Number.isFinite(n), 'a number ≥ 0 (0 = no clipping)') ?? D.maxGradNorm,
    batchSize: num('batch', isPositiveInt, 'a positive integer') ?? D.batchSize,
    gradAccum: num('grad-accum', isPositiveInt, 'a positive integer') ?? D.gradAccum,
    seqLen: num('seq-len', (n) => Number.isInteger(n) && n >= 2, 'an integer ≥ 2') ?? D.seqLen,
    overLength: choiceOption('over-length', values['over-length'], ['truncate', 'refuse'] as const) ?? D.overLength,
    pack: values.pack ?? false,
    trainOnInputs: values['train-on-inputs'] ?? false,
    maxSteps: steps ?? null,
    epochs: steps === undefined ? (epochs ?? D.epochs) : null,
    valSplit: num('val-split', (n) => n >= 0 && n < 1, 'a fraction in [0, 1)') ?? D.valSplit,
    evalEvery: num('eval-every', isNonNegativeInt, 'a non-negative integer') ?? D.evalEvery,
    saveEvery: num('save-every', isNonNegativeInt, 'a non-negative integer') ?? D.saveEvery,
    patience: num('patience', isNonNegativeInt, 'a non-negative integer') ?? D.patience,
    keepBest: !(values['keep-last'] ?? false),
    seed: num('seed', (n) => isNonNegativeInt(n) && n < 2 ** 32, 'an integer in [0, 2^32)') ?? D.seed,
    checkpointing: values.checkpointing ?? false,
    quant: choiceOption('quant', values.quant, ['none', 'nf4'] as const) ?? D.quant,
  };
  const budget = num('memory-budget', (n) => n > 0 && Number.isFinite(n), 'a positive number of MiB');
  return {
    model: values.model,
    data: values.data,
    outDir: values.out,
    config,
    format: choiceOption('format', values.format, ['auto', ...DATASET_SHAPES] as const) ?? 'auto',
    resume: values.resume ?? false,
    json: values.json ?? false,
    budgetBytes: budget === undefined ? undefined : budget * 2 ** 20,
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
  const dataset = await parseDatasetFile(args.data, { format: args.format });
  const loaded = await loadModelFromPath(args.model);
  const controller = new AbortController();
  const onSigint = () => {
    log('\nwebtune train: stopping after this step (a checkpoint will be saved)…');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  let ctx: GpuContext | null = null;
  try {
    const acquired = await acquireNodeDevice();
    if (acquired.report.notice) log(`webtune: ${acquired.report.notice}`);
    ctx = GpuContext.fromAcquired(acquired);
    const storage = new FolderStorage(args.outDir);
    const progress = new ProgressReporter(process.stderr, true);
    log(`webtune: training ${loaded.name} on ${args.data} → ${args.outDir}${args.resume ? ' (resuming)' : ''}`);
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
      onValidation: (v) => {
        if (v.step === 0) log(`before training: validation loss ${v.loss.toFixed(4)}, perplexity ${v.perplexity.toFixed(2)}`);
      },
      onNotice: (m) => log(`webtune: ${m}`),
      signal: controller.signal,
      untilStep: args.stopAfter,
    });
    progress.end();
    const files = await writeAdapterFolder(args.outDir, result.adapter);
    const { loop } = result;
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
          trainExamples: result.data.train,
          validationExamples: result.data.validation,
          truncatedExamples: result.data.truncatedCount,
          losses: loop.history.steps.map((s) => s.loss),
          validations: loop.history.validations,
          files,
        })}\n`,
      );
    }
  } catch (error) {
    if (error instanceof TrainingConfigError) throw new UsageError(`--${error.message}`);
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    ctx?.destroy();
    await closeModel(loaded);
  }
}
