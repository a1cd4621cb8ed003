/**
 * Inference benchmark: prefill and decode tokens/s and peak GPU bytes of the Llama forward pass with its KV cache
 * (src/gpu/model/llama.ts), for stories260K (the real file) and for a synthetic model of SmolLM2-135M's exact
 * shapes with random weights, each with its linear weights in F32, Q8_0 and Q4_0 (quantized on read and kept
 * quantized on the GPU by the loader's own upload path). Prints a table and writes bench/results/inference.json.
 *
 * Method per model: upload, make the model, one untimed warm-up (prefill + a few decode steps: every pipeline is
 * compiled before timing starts), then timed runs of a prefill of a prompt followed by greedy single-token steps
 * (lengths below), the three weight formats of a model taking turns run after run (all three uploaded at once), so
 * their ratios are measured side by side; the figures are medians over the runs. A step's time includes reading back its logits,
 * as generation must. Peak bytes are the context arena's peak: weights + KV cache + activations + uniforms.
 *
 * Then multi-adapter decoding (bench/multi-adapter.ts): the base and 1, 2, 4, 8 LoRA adapters batched vs one after
 * another, for both models in F32 (results under `multiAdapter`).
 *
 * Run: npm run bench:inference. Lengths can be set with BENCH_{STORIES,SMOL}_{PROMPT_TOKENS,DECODE_TOKENS,RUNS},
 * BENCH_MULTI_{STORIES,SMOL}_{…} for the multi-adapter runs, and BENCH_ONLY runs only the cases whose
 * '<model> <weights>' (e.g. 'stories260K Q8_0', 'SmolLM2-135M (synthetic) multi-adapter') contains it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { GpuContext } from '../src/gpu/context';
import { acquireNodeDevice } from '../src/gpu/device-node';
import { LlamaModel } from '../src/gpu/model/llama';
import { releaseModel, uploadModel } from '../src/gpu/model/upload';
import { argmax } from '../src/generate/sampler';
import { openGgufModel } from '../src/model/gguf/model';
import { fileSource } from '../src/model/source-node';
import type { ModelWeights } from '../src/model/tensor-map';
import {
  parameterCount,
  readHfConfig,
  SMOLLM2_135M_CONFIG,
  syntheticModelWeights,
  withQuantizedLinears,
  type SyntheticLinearType,
} from './synthetic-model';
import { median } from './timing';
import { multiAdapterTable, runMultiAdapter, type MultiAdapterResult } from './multi-adapter';

const STORIES_GGUF = new URL('../../shared/models/stories260K/stories260K.gguf', import.meta.url);
/** Where the results go; BENCH_RESULTS (a path) writes them elsewhere, e.g. for a partial run with BENCH_ONLY. */
const RESULTS = process.env.BENCH_RESULTS
  ? new URL(process.env.BENCH_RESULTS, `file://${process.cwd()}/`)
  : new URL('./results/inference.json', import.meta.url);

const envInt = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}='${v}' is not a positive whole number`);
  return n;
};
/**
 * Lengths and repeats per model. On a real GPU both models run a 64-token prompt and 16 decode steps, 3 times.
 * On a software adapter (SwiftShader, in CI and on this project's machines) one 135M-parameter step streams
 * 540 MB of f32 weights through a CPU: about as long as a whole 16-token prefill, some seconds per step on an
 * idle 2-core machine. There the 135M model runs a 16-token prompt, 4 decode steps, once, so the whole
 * benchmark stays within minutes; the settings used are written into the results.
 */
interface Lengths {
  promptTokens: number;
  decodeTokens: number;
  runs: number;
}

function lengths(model: 'stories' | 'smol', software: boolean): Lengths {
  const prefix = model === 'stories' ? 'BENCH_STORIES' : 'BENCH_SMOL';
  const defaults: Lengths =
    model === 'stories'
      ? { promptTokens: 128, decodeTokens: 16, runs: 3 }
      : software
        ? { promptTokens: 16, decodeTokens: 8, runs: 3 }
        : { promptTokens: 64, decodeTokens: 16, runs: 3 };
  return lengthsFromEnv(prefix, defaults);
}

/**
 * Multi-adapter runs: a short prompt (prefill is not what they compare) and enough steps for a stable median; on a
 * software adapter the 135M model decodes 4 steps per column (the sequential way runs 19 columns over the 4 counts).
 */
function multiLengths(model: 'stories' | 'smol', software: boolean): Lengths {
  const prefix = model === 'stories' ? 'BENCH_MULTI_STORIES' : 'BENCH_MULTI_SMOL';
  const defaults: Lengths =
    model === 'stories' || !software ? { promptTokens: 16, decodeTokens: 16, runs: 3 } : { promptTokens: 8, decodeTokens: 4, runs: 3 };
  return lengthsFromEnv(prefix, defaults);
}

function lengthsFromEnv(prefix: string, defaults: Lengths): Lengths {
  return {
    promptTokens: envInt(`${prefix}_PROMPT_TOKENS`, defaults.promptTokens),
    decodeTokens: envInt(`${prefix}_DECODE_TOKENS`, defaults.decodeTokens),
    runs: envInt(`${prefix}_RUNS`, defaults.runs),
  };
}
/** Decode steps of the warm-up: one runs the single-token path, which compiles the decode pipelines. */
const WARMUP_DECODE_TOKENS = 1;
const TYPES: SyntheticLinearType[] = ['F32', 'Q8_0', 'Q4_0'];

interface Case {
  name: string;
  source: string;
  linearType: SyntheticLinearType;
  lengths: Lengths;
  /** The weights, and what to close once they are on the GPU. */
  open(): Promise<{ weights: ModelWeights; close(): Promise<void> }>;
}

interface Result {
  name: string;
  source: string;
  linearType: SyntheticLinearType;
  parameters: number;
  promptTokens: number;
  decodeTokens: number;
  /** Timed runs; the figures are their medians. */
  runs: number;
  /** KV-cache length the model was made with (prompt + decode, not the file's full context). */
  contextTokens: number;
  weightBytes: number;
  /** KV cache + activation buffers of the model. */
  activationBytes: number;
  /** Highest bytes the context's arena held during upload, warm-up and the runs. */
  peakBytes: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  prefillMs: number[];
  decodeMs: number[];
}

/** A fixed pseudo-random prompt: BOS then ids spread over the vocabulary (attention cost does not depend on them). */
function promptIds(length: number, vocabSize: number, bos: number | null): number[] {
  let s = 12345;
  const ids = Array.from({ length }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return 3 + (s % (vocabSize - 3));
  });
  if (bos !== null) ids[0] = bos;
  return ids;
}

async function timedRun(model: LlamaModel, prompt: number[], decode: number): Promise<{ prefillMs: number; decodeMs: number }> {
  const t0 = performance.now();
  let logits = await model.forward(prompt, 0);
  const t1 = performance.now();
  for (let i = 0; i < decode; i++) logits = await model.forward([argmax(logits)], prompt.length + i);
  return { prefillMs: t1 - t0, decodeMs: performance.now() - t1 };
}

/** A case uploaded and warmed up, ready for timed runs; `result` sums them up, `dispose` frees its GPU memory. */
interface PreparedCase {
  run(): Promise<void>;
  result(): Result;
  dispose(): void;
}

async function prepareCase(shared: GpuContext, c: Case): Promise<PreparedCase> {
  // A context of its own on the shared device, so its arena counts this model alone.
  const ctx = new GpuContext(shared.device, shared.report);
  const progress = (what: string) => console.error(`    ${c.name} ${c.linearType}: ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const t0 = performance.now();
  const opened = await c.open();
  const up = await uploadModel(ctx, opened.weights).finally(() => opened.close());
  const { promptTokens, decodeTokens, runs: repeats } = c.lengths;
  const contextTokens = promptTokens + decodeTokens;
  const model = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxContext: contextTokens });
  const dispose = () => {
    model.dispose();
    releaseModel(ctx, up);
    ctx.arena.trim();
  };
  const prompt = promptIds(promptTokens, up.config.vocabSize, up.config.bosTokenId);
  try {
    progress('uploaded');
    await timedRun(model, prompt, WARMUP_DECODE_TOKENS);
    progress('warmed up');
  } catch (error) {
    dispose();
    throw error;
  }
  const runs: { prefillMs: number; decodeMs: number }[] = [];
  return {
    async run() {
      const r = await timedRun(model, prompt, decodeTokens);
      runs.push(r);
      progress(`run ${runs.length}: prefill ${r.prefillMs.toFixed(0)} ms, decode ${r.decodeMs.toFixed(0)} ms`);
    },
    result() {
      const prefillMs = runs.map((r) => r.prefillMs);
      const decodeMs = runs.map((r) => r.decodeMs);
      return {
        name: c.name,
        source: c.source,
        linearType: c.linearType,
        parameters: parameterCount(up.config),
        promptTokens,
        decodeTokens,
        runs: repeats,
        contextTokens,
        weightBytes: up.weightBytes,
        activationBytes: model.activationBytes,
        peakBytes: ctx.memory.peakBytes,
        prefillTokensPerSecond: promptTokens / (median(prefillMs) / 1000),
        decodeTokensPerSecond: decodeTokens / (median(decodeMs) / 1000),
        prefillMs,
        decodeMs,
      };
    },
    dispose,
  };
}

/**
 * The weight formats of one model, side by side: all uploaded and warmed up first, then timed run after run in
 * turn (F32, Q8_0, Q4_0, F32, …), so load from other processes lands on every format alike.
 */
async function runModel(shared: GpuContext, cases: Case[]): Promise<Result[]> {
  const prepared: PreparedCase[] = [];
  try {
    for (const c of cases) prepared.push(await prepareCase(shared, c));
    const repeats = Math.max(...cases.map((c) => c.lengths.runs));
    for (let r = 0; r < repeats; r++) {
      for (let i = 0; i < cases.length; i++) if (r < cases[i].lengths.runs) await prepared[i].run();
    }
    return prepared.map((p) => p.result());
  } finally {
    for (const p of prepared) p.dispose();
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
/** Three significant digits: a software adapter's 0.004 tok/s must not print as 0.00. */
const rate = (perSecond: number) => (perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toPrecision(3));

function table(results: Result[]): string {
  const header = ['model', 'weights', 'prompt', 'decode', 'runs', 'prefill tok/s', 'decode tok/s', 'weight bytes', 'peak GPU bytes'];
  const rows = results.map((r) => [
    r.name,
    r.linearType,
    String(r.promptTokens),
    String(r.decodeTokens),
    String(r.runs),
    rate(r.prefillTokensPerSecond),
    rate(r.decodeTokensPerSecond),
    mib(r.weightBytes),
    mib(r.peakBytes),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const acquired = await acquireNodeDevice();
  const shared = GpuContext.fromAcquired(acquired);
  const { report } = acquired;
  const device = `${report.vendor} ${report.architecture} ${report.description}`.trim() || report.device;
  const software = report.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(device);
  console.error(`inference bench on: ${device}${software ? ' (software adapter: reduced lengths for the 135M model)' : ''}`);

  const smolConfig = await readHfConfig(SMOLLM2_135M_CONFIG);
  const cases: Case[] = [
    ...TYPES.map((type): Case => ({
      name: 'stories260K',
      source: 'stories260K.gguf',
      linearType: type,
      lengths: lengths('stories', software),
      open: async () => {
        const source = await fileSource(STORIES_GGUF.pathname);
        const { weights } = await openGgufModel(source);
        return { weights: withQuantizedLinears(weights, type), close: async () => source.close?.() };
      },
    })),
    ...TYPES.map((type): Case => ({
      name: 'SmolLM2-135M (synthetic)',
      source: 'SmolLM2-135M-Instruct config.json, random weights',
      linearType: type,
      lengths: lengths('smol', software),
      open: async () => ({
        weights: withQuantizedLinears(syntheticModelWeights(smolConfig, { seed: 1 }), type),
        close: async () => {},
      }),
    })),
  ].filter((c) => !process.env.BENCH_ONLY || `${c.name} ${c.linearType}`.includes(process.env.BENCH_ONLY));

  // The results file is rewritten after every model, so a run cut short still leaves what it measured.
  const results: Result[] = [];
  const multiAdapter: MultiAdapterResult[] = [];
  const write = async (complete: boolean) => {
    const json = {
      benchmark: 'inference',
      date: new Date().toISOString(),
      complete,
      device: {
        description: device,
        vendor: report.vendor,
        architecture: report.architecture,
        isFallbackAdapter: report.isFallbackAdapter,
        software,
        features: report.features,
      },
      method: {
        statistic: 'median over the timed runs; the formats of a model take turns, run after run',
        warmup: `one untimed prefill + ${WARMUP_DECODE_TOKENS} decode step per model (every pipeline compiled)`,
        decoding: 'greedy (argmax on the host); each step includes reading back its [V] logits',
        prompt: 'BOS then fixed pseudo-random ids',
        embeddings: 'the token embedding (and a tied LM head) stay f32 on the GPU, as the loader keeps them',
        quantization: 'linear projections quantized on read with the test-suite Q8_0/Q4_0 quantizers, kept quantized on the GPU',
        peakBytes: "the context arena's peak reserved bytes: weights + KV cache + activations + uniform slabs",
      },
      results,
      multiAdapter,
      elapsedSeconds: Math.round((Date.now() - started) / 1000),
    };
    await mkdir(new URL('./', RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(json, null, 2)}\n`);
  };
  for (const name of new Set(cases.map((c) => c.name))) {
    const t = Date.now();
    for (const r of await runModel(shared, cases.filter((c) => c.name === name))) {
      results.push(r);
      console.error(
        `  ${r.name} ${r.linearType}: prefill ${rate(r.prefillTokensPerSecond)} tok/s, ` +
          `decode ${rate(r.decodeTokensPerSecond)} tok/s, peak ${mib(r.peakBytes)}`,
      );
    }
    console.error(`  ${name}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
    await write(false);
  }
  const openStories = async () => {
    const source = await fileSource(STORIES_GGUF.pathname);
    return { weights: (await openGgufModel(source)).weights, close: async () => source.close?.() };
  };
  const multiCases = [
    { name: 'stories260K', lengths: multiLengths('stories', software), open: openStories },
    {
      name: 'SmolLM2-135M (synthetic)',
      lengths: multiLengths('smol', software),
      open: async () => ({ weights: syntheticModelWeights(smolConfig, { seed: 1 }), close: async () => {} }),
    },
  ].filter((m) => !process.env.BENCH_ONLY || `${m.name} multi-adapter`.includes(process.env.BENCH_ONLY));
  for (const m of multiCases) {
    const opened = await m.open();
    const t = Date.now();
    try {
      const prompt = promptIds(m.lengths.promptTokens, opened.weights.config.vocabSize, opened.weights.config.bosTokenId);
      for (const r of await runMultiAdapter(shared, m.name, opened.weights, prompt, m.lengths, (line) => console.error(`    ${line}`))) {
        multiAdapter.push(r);
        console.error(`  ${r.name} base + ${r.adapters}: batched ${rate(r.batchedTokensPerSecond)} tok/s vs sequential ${rate(r.sequentialTokensPerSecond)} (${r.speedup.toFixed(2)}×)`);
      }
    } finally {
      await opened.close();
    }
    console.error(`  ${m.name} multi-adapter: ${((Date.now() - t) / 1000).toFixed(0)} s`);
    await write(false);
  }
  await write(true);
  console.log(table(results));
  if (multiAdapter.length) console.log(`\n${multiAdapterTable(multiAdapter)}`);
  console.error(`wrote ${RESULTS.pathname} in ${Math.round((Date.now() - started) / 1000)} s`);
  shared.destroy();
}

await main();
