/**
 * The compression figures of a model's export variants, side by side, as the compression survey the project builds
 * on judges a compressed model: for each GGUF type (F32, F16, Q8_0, Q4_0, Q4_K), the base alone and with the
 * adapter merged — file size, its ratio to the 16-bit file, decode tokens/s on this device, FLOPs per token, and
 * validation loss and perplexity. Each variant is the exported file itself, read back by the engine's own loader
 * and uploaded as stored (quantized weights stay quantized on the GPU), so the numbers are the file's.
 */
import type { AnyAdapter } from '../adapters/any-adapter';
import type { TokenBatch } from '../data/batch-types';
import type { GpuContext } from '../gpu/context';
import { LlamaModel } from '../gpu/model/llama';
import { releaseModel, uploadModel } from '../gpu/model/upload';
import { LossEvaluator } from '../gpu/train/loss-evaluator';
import type { ModelConfig } from '../model/config';
import { loadGgufModel } from '../model/load';
import { bytesSource, concatBytes } from '../model/source';
import type { GgufExportType } from './formats';
import { encodeMergedGguf, type ExportBase, mergedGgufTensors } from './merged-gguf';
import type { ExportTensor } from './merged-tensors';

export const COMPRESSION_TYPES: readonly GgufExportType[] = ['f32', 'f16', 'q8_0', 'q4_0', 'q4_k'];

export interface CompressionRow {
  type: GgufExportType;
  merged: boolean;
  bytes: number;
  /** The 16-bit file's bytes over this one's (F16 = 1, Q8_0 ≈ 1.9). */
  ratio: number;
  /** Greedy decode speed of this file on this device, after a warm-up (a benchmark figure, not a guarantee). */
  tokensPerSecond: number;
  flopsPerToken: number;
  meanLoss: number;
  perplexity: number;
  /** Per-tensor fallbacks of the type. */
  notes: string[];
}

/**
 * Multiply-adds × 2 of one token through every weight (the linear projections and the head); attention's scores
 * and mix add 4 · layers · heads · headDim per cached position on top, and quantization changes neither.
 */
export function flopsPerToken(c: ModelConfig): number {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const perLayer = c.hiddenSize * (q + 2 * kv) + q * c.hiddenSize + 3 * c.hiddenSize * c.intermediateSize;
  return 2 * (c.numLayers * perLayer + c.vocabSize * c.hiddenSize);
}

const DECODE_TOKENS = 16;

/** Decode tokens/s of an uploaded model: a short prompt, one warm-up step, then DECODE_TOKENS greedy steps timed. */
async function decodeSpeed(ctx: GpuContext, up: Awaited<ReturnType<typeof uploadModel>>, bos: number): Promise<number> {
  const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxContext: DECODE_TOKENS + 4 });
  try {
    let logits = await model.forward([bos], 0);
    const argmax = () => logits.indexOf(Math.max(...logits));
    logits = await model.forward([argmax()], 1);
    const t0 = performance.now();
    for (let i = 0; i < DECODE_TOKENS; i++) logits = await model.forward([argmax()], 2 + i);
    return (DECODE_TOKENS * 1000) / (performance.now() - t0);
  } finally {
    model.dispose();
  }
}

export interface CompressionInput {
  ctx: GpuContext;
  base: ExportBase;
  /** The adapter merged into the "merged" rows (in the base's q/k layout); null: the base's rows only. */
  adapter: AnyAdapter | null;
  /** The validation batches every variant is measured on, and the slots they need. */
  batches: readonly TokenBatch[];
  maxTokens: number;
  signal?: AbortSignal;
  /** After each variant, with the rows so far. */
  onRow?: (rows: readonly CompressionRow[], total: number) => void;
}

/** Every variant's row (the base's first, then the merged ones); null when `signal` stopped it. */
export async function compressionTable(input: CompressionInput): Promise<CompressionRow[] | null> {
  const { ctx, base, adapter } = input;
  const plan = [false, ...(adapter ? [true] : [])].flatMap((merged) => COMPRESSION_TYPES.map((type) => ({ type, merged })));
  const rows: CompressionRow[] = [];
  const sixteenBit = new Map<boolean, number>();
  // The f32 tensors of the base and of the merge, made once each; every type encodes the same ones.
  const tensors = new Map<boolean, ExportTensor[]>();
  for (const { type, merged } of plan) {
    if (input.signal?.aborted) return null;
    if (!tensors.has(merged)) tensors.set(merged, await mergedGgufTensors(base, merged ? adapter : null));
    const made = encodeMergedGguf(base, tensors.get(merged)!, type, base.name);
    const file = await loadGgufModel(bytesSource(concatBytes(made.parts), `${base.name}.${type}.gguf`));
    const up = await uploadModel(ctx, file.weights);
    let evaluator: LossEvaluator | null = null;
    try {
      evaluator = new LossEvaluator(ctx, up, { maxTokens: input.maxTokens, adapter: null });
      const loss = await evaluator.meanLoss(input.batches, { signal: input.signal });
      if (!loss) return null;
      const tokensPerSecond = await decodeSpeed(ctx, up, file.tokenizer.bosId ?? 0);
      if (type === 'f16') sixteenBit.set(merged, made.bytes);
      rows.push({ type, merged, bytes: made.bytes, ratio: 0, tokensPerSecond, flopsPerToken: flopsPerToken(base.config), meanLoss: loss.meanLoss, perplexity: loss.perplexity, notes: made.notes });
    } finally {
      evaluator?.dispose();
      releaseModel(ctx, up);
    }
    for (const r of rows) r.ratio = (sixteenBit.get(r.merged) ?? 0) / r.bytes;
    input.onRow?.(rows.map((r) => ({ ...r })), plan.length);
  }
  return rows;
}
