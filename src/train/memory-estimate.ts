/**
 * Predicts the GPU bytes a LoRA training run will hold at its peak, before anything is allocated, by listing the
 * buffers the engine plans (frozen weights as uploaded, the adapters' parameter block, the activations of
 * src/gpu/train/activations.ts for maxTokens slots, the chunked loss scratch, dropout scratch, uniforms) with the
 * allocator's 256-byte rounding. Then `checkMemoryFits` compares it with the device's limits and a budget; the
 * memory plan (memory-plan.ts) chooses settings that fit and says what would help when none do.
 *
 * Everything is planned once and nothing is freed during a step, so the peak is the sum.
 */
import type { ModelConfig } from '../model/config';
import type { TrainingConfig } from './config';
import { QUANT_FORMATS } from '../model/quant/formats';
import { GPU_BLOCK_SPLIT, scaleWords } from '../model/quant/gpu-layout';
import type { BaseStorage, WeightStorage } from '../model/quant/storage';
import { IA3_DEFAULT, LORA_TARGETS, type LoraTarget } from '../model/lora-targets';
import type { TrainingMethod } from './settings';
import { targetShapes } from './config';

export type { WeightStorage } from '../model/quant/storage';

export interface MemoryEstimateInput {
  config: ModelConfig;
  /**
   * Where the base's linear projections, embedding and untied head sit on the GPU, as model/quant/storage.ts
   * decides it for the upload (after QLoRA's NF4, when the run asks for it).
   */
  storage: BaseStorage;
  rank: number;
  targets: readonly LoraTarget[];
  /**
   * 'ia3': PEFT's IA³ placement (IA3_DEFAULT) instead of LoRA pairs; rank and targets are then unused. 'dora': LoRA
   * pairs with a magnitude per output row, and each projection's product kept too. 'prompt': `virtualTokens`
   * embeddings and no adapted projection. Default 'lora'.
   */
  method?: TrainingMethod;
  /** Prompt tuning's virtual tokens (they are part of maxTokens' slots). */
  virtualTokens?: number;
  /** Token slots of one micro-batch (micro-batch size × sequence length). */
  maxTokens: number;
  checkpointing: boolean;
  dropout: boolean;
  /** The device's maxStorageBufferBindingSize (sizes the loss chunk and splits big quantized weights). */
  maxBindingBytes?: number;
}

/** The settings of a run that its estimate depends on (the base's storage aside). */
export type EstimatedRun = Pick<TrainingConfig, 'rank' | 'targets' | 'batchSize' | 'seqLen' | 'checkpointing' | 'dropout'> &
  Partial<Pick<TrainingConfig, 'method' | 'virtualTokens'>>;

/** The estimate's input for a run's settings on a model whose weights sit as `storage`. */
export function runEstimateInput(config: ModelConfig, storage: BaseStorage, run: EstimatedRun, maxBindingBytes?: number): MemoryEstimateInput {
  return {
    config,
    storage,
    rank: run.rank,
    targets: run.targets,
    method: run.method ?? 'lora',
    virtualTokens: run.virtualTokens,
    maxTokens: run.batchSize * run.seqLen,
    checkpointing: run.checkpointing,
    dropout: run.dropout > 0,
    maxBindingBytes,
  };
}

export interface MemoryEstimate {
  totalBytes: number;
  weightBytes: number;
  /** Adapter parameters, gradients and both AdamW moments. */
  adapterBytes: number;
  activationBytes: number;
  /** Loss scratch, dropout scratch, uniforms and small buffers. */
  scratchBytes: number;
  /** The biggest single buffer, which must fit maxBufferSize and maxStorageBufferBindingSize. */
  largestBuffer: { label: string; bytes: number };
}

const ROUND = 256;
const rounded = (bytes: number) => Math.max(ROUND, Math.ceil(bytes / ROUND) * ROUND);
const DEFAULT_BINDING = 128 * 2 ** 20;
/** Dispatches one layer's training forward + backward records (uniform slots are 256 bytes each). */
const DISPATCHES_PER_LAYER = 48;
const UNIFORM_SLAB = 64 * 1024;

class Tally {
  bytes = 0;
  largest = { label: '', bytes: 0 };
  add(label: string, bytes: number): void {
    const r = rounded(bytes);
    this.bytes += r;
    if (r > this.largest.bytes) this.largest = { label, bytes: r };
  }
}

/** Bytes of one frozen [rows, cols] weight stored as `storage` (packed formats: q words and scales, in parts). */
function linearWeight(t: Tally, label: string, rows: number, cols: number, storage: WeightStorage, binding: number): void {
  if (storage === 'f32' || cols % QUANT_FORMATS[storage].blockSize !== 0) {
    t.add(label, rows * cols * 4); // llama.cpp and our NF4 loader leave blocks-misfit widths in f32
    return;
  }
  const blocksPerRow = cols / QUANT_FORMATS[storage].blockSize;
  const rowBytes = blocksPerRow * GPU_BLOCK_SPLIT[storage].qWords * 4;
  const rowsPerPart = Math.max(1, Math.floor(binding / rowBytes));
  for (let start = 0; start < rows; start += rowsPerPart) {
    const n = Math.min(rowsPerPart, rows - start);
    t.add(`${label}.q`, n * rowBytes);
    t.add(`${label}.s`, scaleWords(storage, n * blocksPerRow) * 4);
  }
}

export function estimateTrainingMemory(input: MemoryEstimateInput): MemoryEstimate {
  const { config: c, rank: r, maxTokens: T } = input;
  const binding = input.maxBindingBytes ?? DEFAULT_BINDING;
  const C = c.hiddenSize;
  const F = c.intermediateSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const shapes = targetShapes(c);

  // Frozen weights, as src/gpu/model/upload.ts places them.
  const w = new Tally();
  const { storage } = input;
  // An untied embedding stays on the host ('host'): no GPU bytes, its T rows written into x0 each forward.
  if (storage.embedding !== 'host') linearWeight(w, 'token_embd', c.vocabSize, C, storage.embedding, binding);
  w.add('output_norm', C * 4);
  if (!c.tiedEmbeddings) linearWeight(w, 'output', c.vocabSize, C, storage.head ?? 'f32', binding);
  for (let i = 0; i < c.numLayers; i++) {
    w.add(`layers.${i}.attn_norm`, C * 4);
    w.add(`layers.${i}.ffn_norm`, C * 4);
    if (c.qkNorm) {
      w.add(`layers.${i}.q_norm`, c.headDim * 4);
      w.add(`layers.${i}.k_norm`, c.headDim * 4);
    }
    if (c.attentionBias) {
      w.add(`layers.${i}.q_bias`, q * 4);
      w.add(`layers.${i}.k_bias`, kv * 4);
      w.add(`layers.${i}.v_bias`, kv * 4);
    }
    for (const target of LORA_TARGETS) {
      const s = shapes[target];
      linearWeight(w, `layers.${i}.${target}`, s.out, s.in, storage.linears, binding);
    }
  }

  // What each adapted projection keeps per token for its backward, and the backward's scratch (transformer-block.ts):
  // LoRA's u and du [T, r]; DoRA's product p [T, out] beside u (at a 256-byte boundary), and dp [T, out]; IA³'s
  // unscaled output or scaled input, and the gradient on its scaled side.
  const ia3 = input.method === 'ia3';
  const dora = input.method === 'dora';
  const prompt = input.method === 'prompt';
  const adapted = ia3 ? IA3_DEFAULT.targets : prompt ? [] : input.targets;
  const ia3Width = (t: LoraTarget) => ia3VectorWidth(t, shapes);
  const savedWidth = (t: LoraTarget) => (ia3 ? ia3Width(t) : dora ? shapes[t].out + r + 64 : r);
  const scratchWidth = adapted.length ? Math.max(...adapted.map((t) => (dora ? shapes[t].out : savedWidth(t)))) : 0;

  // Adapters: one parameter block (each matrix or vector aligned to 64 floats), times params, grads, m, v.
  const pad = (n: number) => Math.ceil(n / 64) * 64;
  // Prompt tuning's block is its [P, C] embeddings.
  let blockFloats = prompt ? pad((input.virtualTokens ?? 0) * C) : 0;
  for (let i = 0; i < c.numLayers; i++) {
    for (const target of adapted) {
      const s = shapes[target];
      blockFloats += ia3 ? pad(ia3Width(target)) : pad(r * s.in) + pad(s.out * r) + (dora ? pad(s.out) : 0);
    }
  }
  const a = new Tally();
  for (const part of ['params', 'grads', 'adam_m', 'adam_v']) a.add(`${prompt ? 'prompt' : 'lora'}.${part}`, blockFloats * 4);
  // DoRA's m/n, 1/n and n per adapted projection (not parameters).
  if (dora) for (const target of adapted) a.add(`dora_scales.${target}`, c.numLayers * 3 * pad(shapes[target].out) * 4);

  // Activations (TrainingActivations): per layer, or one shared slot with checkpointing; plus the residual stream.
  const act = new Tally();
  const slots = input.checkpointing ? 1 : c.numLayers;
  for (let i = 0; i < slots; i++) {
    const f = (label: string, n: number) => act.add(`l${i}.${label}`, n * 4);
    f('rstd1', T);
    f('n1', T * C);
    if (c.qkNorm) {
      f('qPre', T * q);
      f('kPre', T * kv);
      f('qRstd', T * c.numHeads);
      f('kRstd', T * c.numKvHeads);
    }
    f('q', T * q);
    f('k', T * kv);
    f('v', T * kv);
    f('attn', T * q);
    f('lse', c.numHeads * T);
    f('xMid', T * C);
    f('rstd2', T);
    f('n2', T * C);
    f('gate', T * F);
    f('up', T * F);
    f('act', T * F);
    // IA³'s scaled inputs are only the forward's scratch: one buffer for every layer, counted below.
    for (const target of adapted) if (!(ia3 && IA3_DEFAULT.feedforward.includes(target))) f(`u_${target}`, T * savedWidth(target));
  }
  for (let i = 0; i <= c.numLayers; i++) act.add(`x${i}`, T * C * 4);
  const g = (label: string, n: number) => act.add(label, n * 4);
  g('dX', T * C);
  g('dN', T * C);
  g('dAttn', T * q);
  g('dQ', T * q);
  g('dK', T * kv);
  g('dV', T * kv);
  if (c.qkNorm) {
    g('dQPre', T * q);
    g('dKPre', T * kv);
  }
  g('dGate', T * F);
  g('dUp', T * F);
  g('dAct', T * F);
  if (scratchWidth > 0) g('du', T * scratchWidth);
  const transientWidth = ia3 ? Math.max(0, ...IA3_DEFAULT.feedforward.map(ia3Width)) : 0;
  if (transientWidth > 0) g('u_transient', T * transientWidth);
  g('attnStats', c.numHeads * T * 2);
  g('final.rstd', T);
  g('final.normed', T * C);
  g('final.dNormed', T * C);
  g('final.losses', T);
  for (const label of ['ids', 'labels', 'positions', 'seqStart']) g(label, T);

  // Scratch: the chunked loss (crossEntropyChunkSize), dropout, optimizer/metrics and uniform slabs.
  const s = new Tally();
  let chunk = Math.min(c.vocabSize, Math.floor(Math.min(64 * 2 ** 20, binding) / (4 * T)));
  if (chunk > 64 && chunk < c.vocabSize) chunk -= chunk % 64;
  s.add('cross_entropy:logits-chunk', T * chunk * 4);
  s.add('cross_entropy:stats', T * 3 * 4);
  s.add('lm_head.metrics', 16);
  if (input.dropout) {
    const maxIn = Math.max(C, q, F);
    s.add('dropout.masked', T * maxIn * 4);
    s.add('dropout.grad', T * maxIn * 4);
  }
  s.add('train.invFreq', (c.headDim / 2) * 4);
  s.add('train.stepMetrics', 16);
  s.add('train.normPartials', Math.ceil(blockFloats / 2048) * 4);
  const dispatches = c.numLayers * DISPATCHES_PER_LAYER * (input.checkpointing ? 1.5 : 1) + 64;
  const slabs = Math.ceil((dispatches * 256) / UNIFORM_SLAB);
  for (let i = 0; i < slabs; i++) s.add(`uniforms#${i}`, UNIFORM_SLAB);

  const largest = [w, a, act, s].map((x) => x.largest).reduce((p, n) => (n.bytes > p.bytes ? n : p));
  return {
    totalBytes: w.bytes + a.bytes + act.bytes + s.bytes,
    weightBytes: w.bytes,
    adapterBytes: a.bytes,
    activationBytes: act.bytes,
    scratchBytes: s.bytes,
    largestBuffer: largest,
  };
}

export interface DeviceMemoryLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** Bytes the run may use in all (the GPU's memory, or a user's budget); undefined = no check. */
  budgetBytes?: number;
}

/** Whether a run's estimate fits the device's limits and the budget, and why not (buffers and bytes, no setting names). */
export interface MemoryVerdict {
  fits: boolean;
  /** Why it does not fit (empty when it fits). */
  problems: string[];
  estimate: MemoryEstimate;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export function checkMemoryFits(input: MemoryEstimateInput, limits: DeviceMemoryLimits): MemoryVerdict {
  const estimate = estimateTrainingMemory({ ...input, maxBindingBytes: input.maxBindingBytes ?? limits.maxStorageBufferBindingSize });
  const problems: string[] = [];
  const { label, bytes } = estimate.largestBuffer;
  if (bytes > limits.maxBufferSize) {
    problems.push(`buffer '${label}' needs ${formatBytes(bytes)}, more than this adapter's maxBufferSize ${formatBytes(limits.maxBufferSize)}`);
  }
  if (bytes > limits.maxStorageBufferBindingSize) {
    problems.push(
      `buffer '${label}' needs ${formatBytes(bytes)}, more than this adapter's maxStorageBufferBindingSize ` +
        `${formatBytes(limits.maxStorageBufferBindingSize)}`,
    );
  }
  if (limits.budgetBytes !== undefined && estimate.totalBytes > limits.budgetBytes) {
    problems.push(`the run needs about ${formatBytes(estimate.totalBytes)}, more than the ${formatBytes(limits.budgetBytes)} available`);
  }
  return { fits: problems.length === 0, problems, estimate };
}

/** Values of PEFT's IA³ vector on a target: its input features for a feed-forward module, else its outputs. */
function ia3VectorWidth(t: LoraTarget, shapes: ReturnType<typeof targetShapes>): number {
  return IA3_DEFAULT.feedforward.includes(t) ? shapes[t].in : shapes[t].out;
}

/**
 * The parameters a run trains on this model: LoRA's r·(in + out) per targeted projection and layer (DoRA's, plus
 * a magnitude per output row), IA³'s one value per scaled feature (out, or in for a feed-forward module) of PEFT's
 * placement, or prompt tuning's P·C virtual-token embeddings.
 */
export function trainableParameterCount(run: Pick<TrainingConfig, 'method' | 'rank' | 'targets' | 'virtualTokens'>, model: ModelConfig): number {
  if (run.method === 'prompt') return run.virtualTokens * model.hiddenSize;
  const shapes = targetShapes(model);
  const perLayer =
    run.method === 'ia3'
      ? IA3_DEFAULT.targets.reduce((n, t) => n + ia3VectorWidth(t, shapes), 0)
      : run.targets.reduce((n, t) => n + run.rank * (shapes[t].in + shapes[t].out) + (run.method === 'dora' ? shapes[t].out : 0), 0);
  return perLayer * model.numLayers;
}
