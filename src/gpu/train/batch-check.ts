/**
 * Parses a TokenBatch against the model and the trainer's plan before anything reaches the GPU: a bad batch is
 * refused with the slot and the value at fault, never silently clamped by a kernel.
 */
import type { TokenBatch } from '../../data/batch-types';

export class BatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchError';
  }
}

export interface BatchLimits {
  maxTokens: number;
  vocabSize: number;
  contextLength: number;
}

/** Returns T, the batch's token count, after checking every array and invariant. */
export function checkBatch(batch: TokenBatch, limits: BatchLimits, what: string): number {
  const t = batch.tokens.length;
  const fail = (message: string): never => {
    throw new BatchError(`${what}: ${message}`);
  };
  if (t === 0) fail('the batch is empty (0 tokens)');
  if (t > limits.maxTokens) {
    fail(`the batch holds ${t} tokens, more than the trainer's maxTokens (${limits.maxTokens})`);
  }
  for (const [name, arr] of [
    ['targets', batch.targets],
    ['positions', batch.positions],
    ['seqStart', batch.seqStart],
  ] as const) {
    if (arr.length !== t) fail(`${name} has ${arr.length} entries but tokens has ${t}`);
  }
  let trained = 0;
  for (let i = 0; i < t; i++) {
    const id = batch.tokens[i];
    if (id >= limits.vocabSize) fail(`token id ${id} at slot ${i} is outside the vocabulary (0..${limits.vocabSize - 1})`);
    const target = batch.targets[i];
    if (target >= limits.vocabSize) {
      fail(`target ${target} at slot ${i} is outside the vocabulary (0..${limits.vocabSize - 1})`);
    }
    if (target >= 0) trained++;
    const start = batch.seqStart[i];
    if (start > i || (i > 0 && start !== i && start !== batch.seqStart[i - 1])) {
      fail(`seqStart[${i}] = ${start} does not start a sequence at or before slot ${i} (previous ${batch.seqStart[i - 1]})`);
    }
    if (batch.positions[i] >= limits.contextLength) {
      fail(`position ${batch.positions[i]} at slot ${i} is past the model's context (${limits.contextLength})`);
    }
  }
  if (trained !== batch.trainedTokens) {
    fail(`trainedTokens says ${batch.trainedTokens} but ${trained} targets are not IGNORE_TARGET`);
  }
  return t;
}
