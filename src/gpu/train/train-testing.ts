import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
/**
 * Shared pieces of the trainer tests: loading stories260K and synthetic models, packed batches, default
 * options, and the bridge from the GPU trainer's adapters to the CPU reference (float64 copies for finite
 * differences).
 */
import { assembleBatch } from '../../data/batches';
import { IGNORE_TARGET, type TokenBatch } from '../../data/batch-types';
import { readHfFolder } from '../../model/hf/folder';
import { fromTokenizerJson } from '../../model/tokenizer/hf-tokenizer';
import type { LlamaModel } from '../model/llama';
import { doraRowNorms, type HostLayerAdapters, type HostLoraAdapter } from '../../model/reference-lora';
import { folderSources } from '../../model/source-node';
import type { ModelWeights } from '../../model/tensor-map';
import { LORA_TARGETS, type LoraTarget } from '../../model/lora-targets';
import type { AdapterMatrices, OptimizerHyperparameters, TrainerOptions } from './types';
import { HOST_FIELDS, type HostWeights } from '../../model/reference-forward';
import { dequantize } from '../../model/quant/dequantize';
import { NF4_BLOCK_SIZE } from '../../model/quant/formats';
import { quantizeNf4 } from '../../model/quant/nf4';

export const STORIES_HF = '../shared/models/stories260K/hf';

export async function storiesWeights(): Promise<ModelWeights> {
  return (await readHfFolder(await folderSources(STORIES_HF), 'stories260K')).weights;
}

/**
 * Packs sequences end to end: each token predicts the next one of its own sequence; the last token of each
 * sequence, and any slot listed in `ignore`, is not trained.
 */
export function packSequences(sequences: readonly (readonly number[])[], ignore: readonly number[] = []): TokenBatch {
  const tokens: number[] = [];
  const targets: number[] = [];
  const positions: number[] = [];
  const seqStart: number[] = [];
  for (const seq of sequences) {
    const start = tokens.length;
    seq.forEach((id, p) => {
      tokens.push(id);
      targets.push(p + 1 < seq.length ? seq[p + 1] : IGNORE_TARGET);
      positions.push(p);
      seqStart.push(start);
    });
  }
  for (const i of ignore) targets[i] = IGNORE_TARGET;
  return {
    tokens: Uint32Array.from(tokens),
    targets: Int32Array.from(targets),
    positions: Uint32Array.from(positions),
    seqStart: Uint32Array.from(seqStart),
    sequences: sequences.length,
    trainedTokens: targets.filter((t) => t >= 0).length,
  };
}

/**
 * Packs sequences as the data pipeline does for prompt tuning (src/data/batches.ts): P virtual slots before each,
 * every token after the first trained as its predecessor's target.
 */
export function packWithPrompt(sequences: readonly (readonly number[])[], virtualTokens: number): TokenBatch {
  const examples = sequences.map((seq) => {
    const trained = Uint8Array.from(seq, (_, i) => (i > 0 ? 1 : 0));
    return { ids: Uint32Array.from(seq), trained, trainedCount: seq.length - 1, key: 0 };
  });
  return assembleBatch(examples, [...examples.keys()], virtualTokens);
}

/** −log p(target) from a model's last-token logits (inference checks against the reference's loss of that target). */
export function nextTokenNll(logits: Float32Array, target: number): number {
  const max = Math.max(...logits);
  return max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0)) - logits[target];
}

/** Four short stories as stories260K's tokenizer reads them (no BOS): the methods' loss-falls checks. */
export async function storySequences(): Promise<number[][]> {
  const tokenizer = fromTokenizerJson({ tokenizer: await readFile(`${STORIES_HF}/tokenizer.json`, 'utf8') });
  const stories = ['Tom had a red ball.', 'The cat sat on the mat.', 'Lily likes to sing.', 'Sam is very hot.'];
  return stories.map((s) => tokenizer.encode(s, { addBos: false }));
}

/**
 * An adapted LlamaModel against the reference: the prefill of tokens[0..5) and the decode of tokens[5] each give
 * the reference's loss of the next token (`referenceNll(prefix, target)`); then, the adapter removed, the base's
 * loss differs.
 */
export async function expectAdaptedInference(
  model: LlamaModel,
  tokens: readonly number[],
  referenceNll: (prefix: number[], target: number) => number,
): Promise<void> {
  const prefill = await model.forward(tokens.slice(0, 5), 0);
  expect(nextTokenNll(prefill, tokens[5])).toBeCloseTo(referenceNll(tokens.slice(0, 5), tokens[5]), 4);
  const decoded = await model.forward([tokens[5]], 5);
  expect(nextTokenNll(decoded, 2)).toBeCloseTo(referenceNll([...tokens], 2), 4);
  model.setAdapter(null);
  const bare = await model.forward(tokens.slice(0, 5), 0);
  expect(Math.abs(nextTokenNll(bare, tokens[5]) - nextTokenNll(prefill, tokens[5]))).toBeGreaterThan(1e-3);
}

export function trainerOptions(over: Partial<TrainerOptions> & { rank?: number; targets?: readonly LoraTarget[] } = {}): TrainerOptions {
  const { rank = 4, targets = LORA_TARGETS, ...rest } = over;
  return {
    lora: { rank, alpha: 2 * rank, rsLora: false, targets },
    dropout: 0,
    maxTokens: 16,
    checkpointing: false,
    seed: 1234,
    ...rest,
  };
}

export const ADAMW: OptimizerHyperparameters = {
  learningRate: 1e-2,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  maxGradNorm: 1,
  loraPlusRatio: 1,
};

/**
 * Float64 copies of the trainer's adapters for the CPU reference, grouped by layer. A DoRA magnitude comes with
 * the row norms of these matrices over `host`'s weights, held fixed (the trained gradient detaches them).
 */
export function hostAdapters(matrices: readonly AdapterMatrices[], scale: number, layers: number, host?: HostWeights): HostLayerAdapters[] {
  const out: HostLayerAdapters[] = Array.from({ length: layers }, () => ({}));
  for (const m of matrices) {
    const ad: HostLoraAdapter = { a: Float64Array.from(m.a), b: Float64Array.from(m.b), rank: m.rank, scale };
    if (m.magnitude) {
      if (!host) throw new Error('hostAdapters: a DoRA adapter needs the host weights for its row norms');
      ad.magnitude = Float64Array.from(m.magnitude);
      ad.norms = doraRowNorms(host.layers[m.layer][HOST_FIELDS[m.target]], ad, m.outFeatures, m.inFeatures);
    }
    out[m.layer][m.target] = ad;
  }
  return out;
}

/** The host weights as the GPU sees them after NF4 quantization on load (every linear whose rows split into blocks). */
export function nf4Host(host: HostWeights): HostWeights {
  const q = (w: Float32Array, cols: number) =>
    cols % NF4_BLOCK_SIZE === 0 ? dequantize('nf4', quantizeNf4(w), w.length) : w;
  return {
    ...host,
    output: host.output && q(host.output, host.outputNorm.length),
    layers: host.layers.map((l) => {
      const c = l.attnNorm.length;
      const f = l.wGate.length / c;
      return {
        ...l,
        wq: q(l.wq, c),
        wk: q(l.wk, c),
        wv: q(l.wv, c),
        wo: q(l.wo, l.wo.length / c),
        wGate: q(l.wGate, c),
        wUp: q(l.wUp, c),
        wDown: q(l.wDown, f),
      };
    }),
  };
}
