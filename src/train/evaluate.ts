/**
 * Mean loss and perplexity of a model (optionally with a LoRA adapter) over every example of a dataset, through
 * the model's loss (src/gpu/train/loss-evaluator.ts: the training forward, same masking as training: only trained
 * tokens count). Compare's evaluation measures its columns with `adapterMeanLoss` too.
 */
import { releaseLoraAdapter, uploadAnyAdapter } from '../adapters/gpu-adapter';
import { type AnyAdapter, isPromptAdapter } from '../adapters/any-adapter';
import { fitAnyAdapter } from '../adapters/import';
import type { TokenBatch } from '../data/batch-types';
import { fixedOrderBatches, maxTokensOf } from '../data/batches';
import type { TokenizedExample } from '../data/tokenize';
import type { ParseResult } from '../data/parse/parse';
import { prepareDataset } from '../data/prepare';
import type { GpuContext } from '../gpu/context';
import { releaseModel, uploadModel, type UploadedModel } from '../gpu/model/upload';
import { LossEvaluator, type MeanLoss } from '../gpu/train/loss-evaluator';
import { chatTemplateFor } from '../model/chat';
import type { LoadedModel } from '../model/load';

export interface EvaluationInput {
  ctx: GpuContext;
  model: LoadedModel;
  dataset: ParseResult;
  datasetName: string;
  adapter?: AnyAdapter | null;
  seqLen: number;
  batchSize: number;
  trainOnInputs: boolean;
  quant: 'none' | 'nf4';
}

export interface EvaluationResult {
  meanLoss: number;
  perplexity: number;
  examples: number;
  trainedTokens: number;
  truncated: number;
}

export async function evaluateDataset(input: EvaluationInput): Promise<EvaluationResult> {
  const { ctx, model } = input;
  const given = input.adapter ?? null;
  const adapter = !given ? null : fitAnyAdapter(given, model.config, model.name);
  const prepared = prepareDataset(input.dataset, {
    tokenizer: model.tokenizer,
    template: chatTemplateFor(model.tokenizer, model.chatTemplate),
    seqLen: input.seqLen,
    trainOnInputs: input.trainOnInputs,
    validationFraction: 0,
    seed: 0,
    file: input.datasetName,
  });
  const { batches, maxTokens } = evaluationBatches(prepared.train, input.batchSize, input.seqLen, adapter);
  const uploaded = await uploadModel(ctx, model.weights, { quantize: input.quant });
  try {
    const { meanLoss, perplexity, trainedTokens } = (await adapterMeanLoss(ctx, uploaded, adapter, batches, { maxTokens }))!;
    return { meanLoss, perplexity, examples: prepared.train.length, trainedTokens, truncated: prepared.truncatedCount };
  } finally {
    releaseModel(ctx, uploaded);
  }
}

/**
 * Batches of `examples` (tokenized to ≤ seqLen tokens) for measuring `adapter`, and the slots they need. A
 * prompt-tuning adapter's P virtual tokens go before each sequence, on top of its text: every adapter, and the
 * base, is measured on the same tokens.
 */
export function evaluationBatches(
  examples: readonly TokenizedExample[],
  batchSize: number,
  seqLen: number,
  adapter: AnyAdapter | null,
): { batches: TokenBatch[]; maxTokens: number } {
  const virtualTokens = adapter && isPromptAdapter(adapter) ? adapter.config.virtualTokens : 0;
  const shape = { microBatchSize: batchSize, seqLen: seqLen + virtualTokens, packing: false, virtualTokens };
  return { batches: fixedOrderBatches(examples, shape), maxTokens: maxTokensOf(shape) };
}

/**
 * Mean loss of an uploaded base with `adapter` (already in the base's q/k row layout) added unmerged, or of the
 * base alone; null when `signal` stopped it. The adapter's GPU copy lives only for the measurement.
 */
export async function adapterMeanLoss(
  ctx: GpuContext,
  uploaded: UploadedModel,
  adapter: AnyAdapter | null,
  batches: readonly TokenBatch[],
  options: { maxTokens: number; signal?: AbortSignal; onBatch?: (done: number) => void },
): Promise<MeanLoss | null> {
  const gpuAdapter = adapter ? uploadAnyAdapter(ctx, adapter, uploaded.config) : null;
  let evaluator: LossEvaluator | null = null;
  try {
    evaluator = new LossEvaluator(ctx, uploaded, { maxTokens: options.maxTokens, adapter: gpuAdapter?.inference ?? null });
    return await evaluator.meanLoss(batches, options);
  } finally {
    evaluator?.dispose();
    if (gpuAdapter) releaseLoraAdapter(ctx, gpuAdapter);
  }
}
