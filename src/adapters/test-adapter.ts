/**
 * Test helpers: a random LoRA (or DoRA) adapter for a base (nonzero A and B, so every pair changes the output; trained
 * adapters do not exist in the tree), and an in-memory files map from exported parts.
 */
import type { ModelConfig, RopeLayout } from '../model/config';
import { patternValues } from '../model/fixtures';
import { bytesSource, concatBytes, type ByteSource } from '../model/source';
import { LORA_TARGETS } from '../model/lora-targets';
import { baseShapeOf, createLoraAdapter, type LoraAdapter, type LoraAdapterConfig } from './lora-weights';

export function randomAdapter(
  config: ModelConfig,
  options: { seed?: number; rowLayout?: RopeLayout; baseModel?: string; zeroB?: boolean; bScale?: number } & Partial<
    Pick<LoraAdapterConfig, 'r' | 'alpha' | 'useRslora' | 'targets' | 'dropout' | 'useDora'>
  > = {},
): LoraAdapter {
  const seed = options.seed ?? 1;
  const bScale = options.bScale ?? 1;
  const adapterConfig: LoraAdapterConfig = {
    r: options.r ?? 4,
    alpha: options.alpha ?? 8,
    useRslora: options.useRslora ?? false,
    dropout: options.dropout ?? 0.05,
    useDora: options.useDora ?? false,
    targets: options.targets ?? [...LORA_TARGETS],
    baseModel: options.baseModel ?? 'stories260K',
    base: baseShapeOf(config),
  };
  return createLoraAdapter(adapterConfig, options.rowLayout ?? config.ropeLayout, (pair, target, layer) => {
    const k = seed * 7919 + layer * 31 + LORA_TARGETS.indexOf(target) * 2;
    pair.a.set(patternValues(pair.a.length, k));
    if (!options.zeroB) pair.b.set(patternValues(pair.b.length, k + 1).map((v) => v * bScale));
    // A DoRA magnitude around 1 per row (patternValues is in [-0.5, 0.5)).
    pair.magnitude?.set(patternValues(pair.outFeatures, k + 2).map((v) => 1 + v));
  });
}

/** file name → source, from exported parts. */
export function filesOf(parts: Record<string, Uint8Array[]>): Map<string, ByteSource> {
  return new Map(Object.entries(parts).map(([name, p]) => [name, bytesSource(concatBytes(p), name)]));
}
