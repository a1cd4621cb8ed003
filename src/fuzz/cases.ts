/**
 * Case `index` of a run: its own generator from (run seed, target, index), so any case is made again alone
 * (`npm run fuzz -- --target gguf-model --case 4711`). Four cases in five mutate a seed file, one is generated.
 */
import { DataRng } from '../data/rng';
import { mutate } from './mutate';
import type { FuzzSeed, FuzzTarget } from './targets/target';

const GENERATED_SHARE = 0.2;

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface FuzzCase {
  bytes: Uint8Array;
  /** The seed it was mutated from; null when generated. */
  seed: string | null;
  /** How it was made: "generated", or the seed's name and the mutations applied. */
  how: string;
}

export async function makeCase(target: FuzzTarget, seeds: readonly FuzzSeed[], runSeed: number, index: number): Promise<FuzzCase> {
  // 2^21 cases per (seed, target) pair before two streams could meet; far more than any run makes.
  const rng = DataRng.fromSeed((((hash32(target.name) ^ runSeed) >>> 0) % 2 ** 31) * 2 ** 21 + (index % 2 ** 21));
  if (rng.nextU32() / 2 ** 32 < GENERATED_SHARE) return { bytes: await target.generate(rng), seed: null, how: 'generated' };
  const seed = seeds[rng.below(seeds.length)];
  const { bytes, applied } = mutate(seed.bytes, rng, seed.layout);
  return { bytes, seed: seed.name, how: `${seed.name}: ${applied.join(', ')}` };
}

export type Outcome = 'ok' | 'refused' | 'untyped';

/** Reads one case; a refusal is the reader's typed error, anything else thrown is a finding. */
export async function runCase(target: FuzzTarget, bytes: Uint8Array, seed: string | null): Promise<{ outcome: Outcome; detail: string }> {
  try {
    await target.read(bytes, seed);
    return { outcome: 'ok', detail: '' };
  } catch (error) {
    if (target.typed(error)) return { outcome: 'refused', detail: (error as Error).message.slice(0, 300) };
    const e = error instanceof Error ? error : new Error(String(error));
    return { outcome: 'untyped', detail: `${e.name}: ${e.message.slice(0, 300)}\n${e.stack?.split('\n').slice(1, 6).join('\n') ?? ''}` };
  }
}
