/**
 * Mean loss and perplexity of a model (optionally with a LoRA adapter) over every example of a dataset, through
 * the training engine's forward pass (same masking as training: only trained tokens count).
 */
import { adaptToBase } from '../adapters/fit';
import type { LoraAdapter } from '../adapters/lora-weights';
import { fixedOrderBatches } from '../data/batches';
import type { ParseResult } from '../data/parse/parse';
import { prepareDataset } from '../data/prepare';
import type { GpuContext } from '../gpu/context';
import type { LoraTarget } from '../gpu/lora/lora-linear';
import { releaseModel, uploadModel } from '../gpu/model/upload';
import { LoraTrainer } from '../gpu/train/lora-trainer';
import type { AdapterMatrices } from '../gpu/train/types';
import { chatTemplateFor } from '../model/chat';
import type { LoadedModel } from '../model/load';

export interface EvaluationInput {
  ctx: GpuContext;
  model: LoadedModel;
  dataset: ParseResult;
  datasetName: string;
  adapter?: LoraAdapter | null;
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
  const prepared = prepareDataset(input.dataset, {
    tokenizer: model.tokenizer,
    template: chatTemplateFor(model.tokenizer, model.chatTemplate),
    seqLen: input.seqLen,
    trainOnInputs: input.trainOnInputs,
    validationFraction: 0,
    seed: 0,
    file: input.datasetName,
  });
  const shape = { microBatchSize: input.batchSize, seqLen: input.seqLen, packing: false };
  const batches = fixedOrderBatches(prepared.train, shape);
  const adapter = input.adapter ? adaptToBase(input.adapter, model.config, model.name) : null;
  // Without an adapter: a rank-1 adapter on q with B = 0 adds exactly nothing, so the loss is the base model's.
  const lora = adapter
    ? { rank: adapter.config.r, alpha: adapter.config.alpha, rsLora: adapter.config.useRslora, targets: adapter.config.targets as LoraTarget[] }
    : { rank: 1, alpha: 1, rsLora: false, targets: ['q'] as LoraTarget[] };
  const uploaded = await uploadModel(ctx, model.weights, { quantize: input.quant });
  let trainer: LoraTrainer | null = null;
  try {
    trainer = new LoraTrainer(ctx, uploaded, { lora, dropout: 0, maxTokens: input.batchSize * input.seqLen, checkpointing: false, seed: 0 });
    if (adapter) {
      const matrices: AdapterMatrices[] = [];
      adapter.layers.forEach((layer, index) => {
        for (const target of adapter.config.targets) {
          const p = layer[target]!;
          matrices.push({ layer: index, target, rank: adapter.config.r, inFeatures: p.inFeatures, outFeatures: p.outFeatures, a: p.a, b: p.b });
        }
      });
      trainer.setAdapterWeights(matrices);
    }
    let lossSum = 0;
    let tokens = 0;
    for (const b of batches) {
      const m = await trainer.evaluate(b);
      lossSum += m.lossSum;
      tokens += m.trainedTokens;
    }
    const meanLoss = lossSum / tokens;
    return { meanLoss, perplexity: Math.exp(meanLoss), examples: prepared.train.length, trainedTokens: tokens, truncated: prepared.truncatedCount };
  } finally {
    trainer?.dispose();
    releaseModel(ctx, uploaded);
  }
}
