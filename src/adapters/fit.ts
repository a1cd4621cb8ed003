/**
 * Whether an adapter belongs on a base. An adapter from another base of the same family can have matching
 * tensor shapes by chance only in part (a different vocabulary or head split changes nothing in q's A), so every
 * recorded fact of its fingerprint is compared, and then every pair's sizes.
 */
import type { ModelConfig } from '../model/config';
import { baseShapeOf, type LoraAdapter, type LoraBaseShape, targetDims, withRowLayout } from './lora-weights';

export class AdapterMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterMismatchError';
  }
}

/** The facts of a base an adapter records (its fingerprint), with the words a message names each by. */
export const BASE_FACTS: [keyof LoraBaseShape, string][] = [
  ['architecture', 'architecture'],
  ['hiddenSize', 'hidden size'],
  ['intermediateSize', 'MLP size'],
  ['numLayers', 'layers'],
  ['numHeads', 'heads'],
  ['numKvHeads', 'KV heads'],
  ['headDim', 'head size'],
  ['vocabSize', 'vocabulary'],
];

function describe(s: LoraBaseShape): string {
  return BASE_FACTS.filter(([k]) => s[k] !== null)
    .map(([k, words]) => (k === 'architecture' ? String(s[k]) : `${words} ${s[k]}`))
    .join(', ');
}

/**
 * llama.cpp converts Mistral checkpoints to its 'llama' architecture (same math; a sliding window is a runtime
 * setting), so an adapter from a GGUF Mistral says 'llama' and must still fit the HF folder's 'mistral'.
 */
function sameFact(key: keyof LoraBaseShape, a: unknown, b: unknown): boolean {
  const family = (x: unknown) => (x === 'mistral' ? 'llama' : x);
  return key === 'architecture' ? family(a) === family(b) : a === b;
}

/** Each fact `recorded` holds that `base` contradicts, as "words recorded vs base"; unrecorded facts are skipped. */
export function baseDisagreements(recorded: LoraBaseShape, base: LoraBaseShape): string[] {
  return BASE_FACTS.filter(([k]) => recorded[k] !== null && !sameFact(k, recorded[k], base[k])).map(
    ([k, words]) => `${words} ${recorded[k]} vs ${base[k]}`,
  );
}

/** Throws AdapterMismatchError naming both bases and every disagreement; unrecorded facts are not compared. */
export function checkAdapterFits(adapter: LoraAdapter, config: ModelConfig, baseName: string): void {
  const mine = adapter.config.base;
  const theirs = baseShapeOf(config);
  const problems = baseDisagreements(mine, theirs);
  if (problems.length === 0) {
    // Pairs can still disagree in sizes the fingerprint left unrecorded (another tool's file).
    pairs: for (let l = 0; l < adapter.layers.length; l++) {
      for (const t of adapter.config.targets) {
        const p = adapter.layers[l][t]!;
        const d = targetDims(theirs, t);
        if (p.outFeatures !== d.out || p.inFeatures !== d.in) {
          problems.push(`layer ${l} '${t}' is [${p.outFeatures}, ${p.inFeatures}] vs [${d.out}, ${d.in}]`);
          break pairs;
        }
      }
    }
  }
  if (problems.length) {
    throw new AdapterMismatchError(
      `the adapter made for '${adapter.config.baseModel}' (${describe(mine)}) does not fit '${baseName}' ` +
        `(${describe(theirs)}): ${problems.join('; ')}`,
    );
  }
}

/**
 * The adapter ready to attach to this base: checked to fit, q/k rows in the base's RoPE layout, the fingerprint
 * completed from the base (so a later export records it).
 */
export function adaptToBase(adapter: LoraAdapter, config: ModelConfig, baseName: string): LoraAdapter {
  checkAdapterFits(adapter, config, baseName);
  const ordered = withRowLayout(adapter, config.ropeLayout, config);
  return {
    ...ordered,
    config: { ...ordered.config, baseModel: ordered.config.baseModel || baseName, base: baseShapeOf(config) },
  };
}
