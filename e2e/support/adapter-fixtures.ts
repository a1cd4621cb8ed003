/**
 * Node side of e2e/adapters.spec.ts: a PEFT adapter for stories260K written at test time (random but fixed
 * weights, so every pair changes the model), and checks of what the studio hands back as downloads, made with the
 * same readers the CLI uses and against the bundled Hugging Face checkpoint as an independent base.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { importAdapter } from '../../src/adapters/import';
import { adapterScale, type LoraAdapter, withRowLayout } from '../../src/adapters/lora-weights';
import { exportPeft } from '../../src/adapters/peft';
import { randomAdapter } from '../../src/adapters/test-adapter';
import { syntheticConfig } from '../../src/model/fixtures';
import { floatBytesToF32 } from '../../src/model/dtype';
import { closeModel, loadGgufModel } from '../../src/model/load';
import { loadModelFromPath } from '../../src/model/load-node';
import { readSafetensors, readSafetensorsTensorBytes } from '../../src/model/safetensors/reader';
import { bytesSource, concatBytes, type ByteSource } from '../../src/model/source';

export const STORIES_GGUF = 'public/models/stories260K/stories260K.gguf';
export const STORIES_HF = 'public/models/stories260K/hf';

/** Writes `<dir>/<name>/adapter_config.json + adapter_model.safetensors` for stories260K; returns the adapter. */
export async function writePeftFixture(dir: string, name: string): Promise<{ folder: string; adapter: LoraAdapter }> {
  const base = await loadModelFromPath(STORIES_GGUF);
  const adapter = randomAdapter(base.config, { r: 4, alpha: 8, seed: 11, bScale: 0.5, baseModel: 'stories260K' });
  await closeModel(base);
  const folder = join(dir, name);
  await writeFolder(folder, exportPeft(adapter));
  return { folder, adapter };
}

/** A PEFT folder for a made-up tiny llama, which stories260K must refuse. */
export async function writeOtherBaseFixture(dir: string, name: string): Promise<string> {
  const folder = join(dir, name);
  await writeFolder(folder, exportPeft(randomAdapter(syntheticConfig(), { baseModel: 'tiny-llama-test' })));
  return folder;
}

async function writeFolder(folder: string, files: Record<string, Uint8Array[]>): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (const [file, parts] of Object.entries(files)) await writeFile(join(folder, file), concatBytes(parts));
}

/** Reads a downloaded .zip or .gguf back as an adapter (HF row order), as a user's other tools would get it. */
export async function readDownloadedAdapter(path: string): Promise<{ adapter: LoraAdapter; format: string; names: string[] }> {
  const bytes = new Uint8Array(await readFile(path));
  let files: Map<string, ByteSource>;
  if (path.endsWith('.zip')) {
    files = new Map(Object.entries(unzipSync(bytes)).map(([n, data]) => [n, bytesSource(data, n)]));
  } else {
    files = new Map([[path.slice(path.lastIndexOf('/') + 1), bytesSource(bytes, 'adapter.gguf')]]);
  }
  const { adapter, format } = await importAdapter(files, path);
  return { adapter, format, names: [...files.keys()].sort() };
}

/** The largest absolute difference between two adapters' weights (both in HF row order); throws if shapes differ. */
export function maxWeightDifference(got: LoraAdapter, want: LoraAdapter): number {
  const a = withRowLayout(got, 'half');
  const b = withRowLayout(want, 'half');
  if (a.config.targets.join() !== b.config.targets.join() || a.layers.length !== b.layers.length || a.config.r !== b.config.r) {
    throw new Error(`adapters differ in shape: ${a.config.targets} × ${a.layers.length} r ${a.config.r} vs ${b.config.targets} × ${b.layers.length} r ${b.config.r}`);
  }
  let max = 0;
  a.layers.forEach((layer, l) => {
    for (const t of a.config.targets) {
      for (const side of ['a', 'b'] as const) {
        const x = layer[t]![side];
        const y = b.layers[l][t]![side];
        if (x.length !== y.length) throw new Error(`layer ${l} ${t}.${side}: ${x.length} vs ${y.length} values`);
        for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
      }
    }
  });
  return max;
}

/**
 * Checks a downloaded merged model: it parses as safetensors, and sampled entries of adapted weights equal the
 * bundled HF checkpoint's W + scale·B·A computed here from the adapter. Returns what was checked, for the report.
 */
/** The files of a downloaded .zip, by name. */
async function unzipped(path: string): Promise<Record<string, Uint8Array>> {
  return unzipSync(new Uint8Array(await readFile(path)));
}

/**
 * A merged Hugging Face folder export (its .zip): the file names, and model.safetensors checked on a sample of
 * weights against the bundled HF checkpoint's W + scale·B·A.
 */
export async function checkMergedModel(
  path: string,
  adapter: LoraAdapter,
): Promise<{ names: string[]; tensors: number; checked: number; changed: number; maxError: number }> {
  const files = await unzipped(path);
  const merged = await readSafetensors(bytesSource(files['model.safetensors'], 'model.safetensors'));
  const hf = await loadModelFromPath(STORIES_HF);
  const peft = withRowLayout(adapter, 'half');
  const scale = adapterScale(peft.config);
  const r = peft.config.r;
  let checked = 0;
  let changed = 0;
  let maxError = 0;
  const samples = [
    [0, 'q', 'model.layers.0.self_attn.q_proj.weight'],
    [2, 'v', 'model.layers.2.self_attn.v_proj.weight'],
    [4, 'up', 'model.layers.4.mlp.up_proj.weight'],
  ] as const;
  for (const [layer, target, name] of samples) {
    const info = merged.tensors.find((t) => t.name === name);
    if (!info) throw new Error(`${path}: no tensor '${name}'`);
    const values = floatBytesToF32((await readSafetensorsTensorBytes(merged, info)).slice(), info.dtype);
    const ref = [...hf.weights.tensors.values()].find((t) => t.name === name)!;
    const w = floatBytesToF32((await ref.read()).slice(), ref.dtype as 'F32');
    const { a, b, outFeatures: out, inFeatures: cols } = peft.layers[layer][target]!;
    if (values.length !== out * cols) throw new Error(`${name}: ${values.length} values, expected [${out}, ${cols}]`);
    for (let o = 0; o < out; o += 7) {
      for (let c = 0; c < cols; c += 3) {
        let ba = 0;
        for (let k = 0; k < r; k++) ba += b[o * r + k] * a[k * cols + c];
        maxError = Math.max(maxError, Math.abs(values[o * cols + c] - (w[o * cols + c] + scale * ba)));
        checked++;
        if (Math.abs(scale * ba) > 1e-3) changed++;
      }
    }
  }
  await closeModel(hf);
  return { names: Object.keys(files).sort(), tensors: merged.tensors.length, checked, changed, maxError };
}

/** A merged GGUF export (its .zip): the file names, the Modelfile, and each weight's type as our reader sees it. */
export async function readMergedGguf(path: string): Promise<{ names: string[]; modelfile: string; types: Record<string, string>; vocab: number }> {
  const files = await unzipped(path);
  const name = Object.keys(files).find((n) => n.endsWith('.gguf'))!;
  const model = await loadGgufModel(bytesSource(files[name], name));
  const types: Record<string, string> = {};
  for (const [key, ref] of model.weights.tensors) types[key] = ref.dtype;
  return { names: Object.keys(files).sort(), modelfile: new TextDecoder().decode(files.Modelfile), types, vocab: model.tokenizer.vocabSize };
}
