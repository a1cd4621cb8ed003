/**
 * Validation loss and perplexity of each comparison column on a dataset, as `webtune eval` measures them
 * (src/train/evaluate.ts): the same data path (prepareDataset → fixedOrderBatches) and the training engine's
 * forward with only trained tokens counted. Here the examples are the dataset's seeded validation split, progress
 * is reported per batch, and a cancel stops between batches.
 */
import type { LoraAdapter } from '../adapters/lora-weights';
import { DatasetError, fixedOrderBatches, type ParseResult, prepareDataset, type TokenBatch } from '../data';
import type { GpuContext } from '../gpu/context';
import type { LoraTarget } from '../gpu/lora/lora-linear';
import { releaseModel, uploadModel } from '../gpu/model/upload';
import { LoraTrainer } from '../gpu/train/lora-trainer';
import type { AdapterMatrices } from '../gpu/train/types';
import type { CompareEvalSettings, EvalColumnResult, EvalSummary } from './compare-protocol';
import type { ModelSession } from './model-session';

export interface EvalProgress {
  column: number;
  batchesDone: number;
  batches: number;
  results: EvalColumnResult[];
}

/** Returns null when `signal` stopped it before every column was measured. */
export async function evaluateColumns(
  ctx: GpuContext,
  session: ModelSession,
  adapters: readonly (LoraAdapter | null)[],
  parsed: ParseResult,
  datasetName: string,
  settings: CompareEvalSettings,
  signal: AbortSignal,
  onProgress: (progress: EvalProgress) => void,
): Promise<EvalSummary | null> {
  const { tokenizer, template } = session.dataTokenizer();
  const prepared = prepareDataset(parsed, {
    tokenizer,
    template,
    seqLen: settings.seqLen,
    trainOnInputs: settings.trainOnInputs,
    validationFraction: settings.validationFraction,
    seed: settings.seed,
    file: datasetName,
  });
  if (prepared.validation.length === 0) {
    throw new DatasetError(datasetName, 'no examples are left for validation; raise the validation share');
  }
  const shape = { microBatchSize: settings.batchSize, seqLen: settings.seqLen, packing: false };
  const batches = fixedOrderBatches(prepared.validation, shape);
  // The trainer's forward needs the weights in its own layout; the session's inference copy stays as it is.
  const uploaded = await uploadModel(ctx, session.files.weights);
  const results: EvalColumnResult[] = [];
  try {
    for (let column = 0; column < adapters.length; column++) {
      onProgress({ column, batchesDone: 0, batches: batches.length, results: [...results] });
      const result = await evaluateOne(ctx, uploaded, adapters[column], batches, settings, signal, (done) =>
        onProgress({ column, batchesDone: done, batches: batches.length, results: [...results] }),
      );
      if (!result) return null;
      results.push(result);
    }
  } finally {
    releaseModel(ctx, uploaded);
  }
  return { dataset: datasetName, examples: prepared.validation.length, truncated: prepared.truncatedCount, results };
}

async function evaluateOne(
  ctx: GpuContext,
  uploaded: Awaited<ReturnType<typeof uploadModel>>,
  adapter: LoraAdapter | null,
  batches: readonly TokenBatch[],
  settings: CompareEvalSettings,
  signal: AbortSignal,
  onBatch: (done: number) => void,
): Promise<EvalColumnResult | null> {
  // Without an adapter: a rank-1 adapter on q with B = 0 adds exactly nothing, so the loss is the base model's.
  const lora = adapter
    ? { rank: adapter.config.r, alpha: adapter.config.alpha, rsLora: adapter.config.useRslora, targets: adapter.config.targets as LoraTarget[] }
    : { rank: 1, alpha: 1, rsLora: false, targets: ['q'] as LoraTarget[] };
  const trainer = new LoraTrainer(ctx, uploaded, {
    lora,
    dropout: 0,
    maxTokens: settings.batchSize * settings.seqLen,
    checkpointing: false,
    seed: 0,
  });
  try {
    if (adapter) trainer.setAdapterWeights(matricesOf(adapter));
    let lossSum = 0;
    let tokens = 0;
    for (let i = 0; i < batches.length; i++) {
      if (signal.aborted) return null;
      const m = await trainer.evaluate(batches[i]);
      lossSum += m.lossSum;
      tokens += m.trainedTokens;
      onBatch(i + 1);
    }
    const meanLoss = lossSum / tokens;
    return { meanLoss, perplexity: Math.exp(meanLoss), trainedTokens: tokens };
  } finally {
    trainer.dispose();
  }
}

function matricesOf(adapter: LoraAdapter): AdapterMatrices[] {
  const matrices: AdapterMatrices[] = [];
  adapter.layers.forEach((layer, index) => {
    for (const target of adapter.config.targets) {
      const p = layer[target]!;
      matrices.push({ layer: index, target, rank: adapter.config.r, inFeatures: p.inFeatures, outFeatures: p.outFeatures, a: p.a, b: p.b });
    }
  });
  return matrices;
}
