/**
 * The part of importing an adapter that does not depend on the file format: given the A/B tensors (and DoRA
 * magnitudes) a file holds (by layer and target), check that every layer has a full pair for every target, that every rank is r, and that
 * every projection's sizes agree with the base fingerprint and with each other (q's output must be o's input,
 * k and v share a size, ...), then read them as f32. Every refusal is a ModelFormatError naming the file and the
 * tensor.
 */
import { ModelFormatError } from '../model/errors';
import {
  type BaseDim,
  baseDim,
  type LoraBaseShape,
  type LoraLayer,
  TARGET_DIMS,
} from './lora-weights';
import type { LoraTarget } from '../model/lora-targets';

export interface FoundTensor {
  name: string;
  /** Row-major. */
  shape: number[];
  /** The values as f32 (a fresh array the adapter may keep). */
  read(): Promise<Float32Array>;
}

export interface FoundPair {
  a?: FoundTensor;
  b?: FoundTensor;
  /** DoRA's magnitude [out]. */
  m?: FoundTensor;
}

/** What a file records of the base; numLayers null → one more than the highest layer found. */
export type RecordedBase = Omit<LoraBaseShape, 'numLayers'> & { numLayers: number | null };

export interface AssemblyInput {
  file: string;
  r: number;
  targets: LoraTarget[];
  base: RecordedBase;
  /** layer → target → tensors. */
  found: Map<number, Map<LoraTarget, FoundPair>>;
  /** Whether every pair carries a DoRA magnitude (and none may without it). */
  dora?: boolean;
  /** The file's name for a tensor, for "missing" messages. */
  nameOf(layer: number, target: LoraTarget, side: 'a' | 'b' | 'm'): string;
}

const DIM_WORDS: Record<BaseDim, string> = {
  hidden: 'the hidden size',
  intermediate: 'the MLP size',
  qOut: "q's output size (heads × head size)",
  kvOut: "k/v's output size (KV heads × head size)",
};

export async function assembleLayers(input: AssemblyInput): Promise<{ layers: LoraLayer[]; base: LoraBaseShape }> {
  const { file, r, targets, found } = input;
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  const anyName = (layer: number) => {
    const pair = [...found.get(layer)!.values()][0];
    return (pair.a ?? pair.b)!.name;
  };
  if (found.size === 0) fail('holds no LoRA tensors');
  const maxLayer = Math.max(...found.keys());
  const numLayers = input.base.numLayers ?? maxLayer + 1;
  if (maxLayer >= numLayers) fail(`tensor '${anyName(maxLayer)}' is for layer ${maxLayer} but the base has ${numLayers} layers`);
  for (const [layer, byTarget] of found) {
    for (const [t, pair] of byTarget) {
      if (!targets.includes(t)) {
        fail(`tensor '${(pair.a ?? pair.b)!.name}' adapts '${t}', which is not among the targets (${targets.join(', ')}) (layer ${layer})`);
      }
    }
  }

  const base: LoraBaseShape = { ...input.base, numLayers };
  // Each base dimension is fixed by the fingerprint where recorded, else by the first tensor that shows it.
  const known = new Map<BaseDim, { size: number; from: string }>();
  for (const dim of ['hidden', 'intermediate', 'qOut', 'kvOut'] as const) {
    const size = baseDim(base, dim);
    if (size !== null) known.set(dim, { size, from: 'the base' });
  }
  const agree = (t: FoundTensor, dim: BaseDim, size: number, side: string) => {
    const k = known.get(dim);
    if (!k) known.set(dim, { size, from: `'${t.name}'` });
    else if (k.size !== size) {
      fail(`tensor '${t.name}' has shape [${t.shape.join(', ')}]: its ${side} size ${size} is not ${DIM_WORDS[dim]} ${k.size} (from ${k.from})`);
    }
  };

  const layers: LoraLayer[] = [];
  for (let l = 0; l < numLayers; l++) {
    const layer: LoraLayer = {};
    for (const t of targets) {
      const pair = found.get(l)?.get(t);
      const a = pair?.a ?? fail(`tensor '${input.nameOf(l, t, 'a')}' is missing (r ${r}, targets ${targets.join(', ')}, ${numLayers} layers)`);
      const b = pair?.b ?? fail(`tensor '${input.nameOf(l, t, 'b')}' is missing (r ${r}, targets ${targets.join(', ')}, ${numLayers} layers)`);
      if (a.shape.length !== 2) fail(`tensor '${a.name}' has shape [${a.shape.join(', ')}], expected [r, in]`);
      if (b.shape.length !== 2) fail(`tensor '${b.name}' has shape [${b.shape.join(', ')}], expected [out, r]`);
      if (a.shape[0] !== r) fail(`tensor '${a.name}' has shape [${a.shape.join(', ')}]: rank ${a.shape[0]}, but r is ${r}`);
      if (b.shape[1] !== r) fail(`tensor '${b.name}' has shape [${b.shape.join(', ')}]: rank ${b.shape[1]}, but r is ${r}`);
      const [outFeatures, inFeatures] = [b.shape[0], a.shape[1]];
      agree(a, TARGET_DIMS[t].in, inFeatures, 'input');
      agree(b, TARGET_DIMS[t].out, outFeatures, 'output');
      layer[t] = { inFeatures, outFeatures, a: await readChecked(a, r * inFeatures, fail), b: await readChecked(b, outFeatures * r, fail) };
      if (input.dora) {
        const m = pair!.m ?? fail(`tensor '${input.nameOf(l, t, 'm')}' is missing (a DoRA adapter has a magnitude for every pair)`);
        if (m.shape.length !== 1 || m.shape[0] !== outFeatures) {
          fail(`tensor '${m.name}' has shape [${m.shape.join(', ')}], expected [${outFeatures}] (one magnitude per output row)`);
        }
        layer[t]!.magnitude = await readChecked(m, outFeatures, fail);
      } else if (pair!.m) {
        fail(`tensor '${pair!.m.name}' is a DoRA magnitude, but the adapter's config does not say use_dora`);
      }
    }
    layers.push(layer);
  }
  base.hiddenSize ??= known.get('hidden')?.size ?? null;
  base.intermediateSize ??= known.get('intermediate')?.size ?? null;
  return { layers, base };
}

async function readChecked(t: FoundTensor, count: number, fail: (problem: string) => never): Promise<Float32Array> {
  const values = await t.read();
  if (values.length !== count) fail(`tensor '${t.name}' holds ${values.length} values, expected ${count}`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) fail(`tensor '${t.name}' holds a non-finite value (${values[i]}) at index ${i}`);
  }
  return values;
}
