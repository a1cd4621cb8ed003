/**
 * Kernel benchmark (`npm run bench:kernels`): our matmuls (forward and both backward products) on the shapes of
 * real models in GFLOP/s, and the elementwise kernels in GB/s, each next to the same operation done by
 * @tensorflow/tfjs-backend-webgpu on the same GPUDevice in the same run. Prints a table and writes
 * bench/results/kernels.json.
 *
 * Timed runs per case: BENCH_REPS (default 5) for stories260K and the elementwise kernels, BENCH_LARGE_REPS
 * (default 3) for SmolLM2's 576/1536 products, BENCH_LM_HEAD_REPS (default 1) for the 49152-row LM head (one
 * TF.js run of it takes over a minute on SwiftShader); this keeps the whole run near 10 minutes there. The LM head group has no warm-up run of its own:
 * it runs right after the 576→1536 group, whose products use the same specializations (our pipelines are keyed
 * by K % 4 and N % 4 and options only; TF.js's matmul keys by transposes, vec4 and tile fit, the same for
 * 1536 and 49152 rows). BENCH_ONLY (a substring of a group's label) runs only matching groups, for tuning;
 * the JSON is then not written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GpuContext } from '../src/gpu/context';
import { acquireNodeDevice } from '../src/gpu/device-node';
import { MATMUL_TILING } from '../src/gpu/kernels/matmul';
import { elementwiseCases, matmulCases, type Bench, type BenchCase, type CaseGroup } from './kernel-cases';
import { tfjsOnDevice } from './tfjs';
import { timePair } from './timing';

interface Row {
  op: string;
  shape: string;
  unit: 'GFLOP/s' | 'GB/s';
  oursMs: number;
  oursRate: number;
  tfjsMs: number;
  tfjsRate: number;
  /** TF.js time / our time: > 1 means ours is faster. */
  ratio: number;
  reps: number;
  tfjs: string;
  oursRunsMs: number[];
  tfjsRunsMs: number[];
}

const TOKENS = 256;
const STORIES = { name: 'stories260K', dim: 64, hidden: 172, vocab: 512 };
const SMOLLM = { name: 'SmolLM2-135M', dim: 576, hidden: 1536, vocab: 49152, heads: 9, headDim: 64 };

type RepClass = 'normal' | 'large' | 'lmHead';

function groups(b: Bench): { label: string; reps: RepClass; make: () => CaseGroup }[] {
  const linear = (model: string, k: number, n: number, reps: RepClass = 'normal') => ({
    label: `${model} ${k}→${n}`,
    reps,
    make: () => matmulCases(b, model, TOKENS, k, n),
  });
  return [
    linear(STORIES.name, STORIES.dim, STORIES.dim),
    linear(STORIES.name, STORIES.dim, STORIES.hidden),
    linear(STORIES.name, STORIES.hidden, STORIES.dim),
    linear(STORIES.name, STORIES.dim, STORIES.vocab),
    linear(SMOLLM.name, SMOLLM.dim, SMOLLM.dim, 'large'),
    linear(SMOLLM.name, SMOLLM.hidden, SMOLLM.dim, 'large'),
    linear(SMOLLM.name, SMOLLM.dim, SMOLLM.hidden, 'large'),
    linear(SMOLLM.name, SMOLLM.dim, SMOLLM.vocab, 'lmHead'),
    {
      label: `${SMOLLM.name} elementwise residual RMSNorm SwiGLU RoPE embedding`,
      reps: 'normal',
      make: () =>
        elementwiseCases(b, {
          t: TOKENS,
          c: SMOLLM.dim,
          f: SMOLLM.hidden,
          heads: SMOLLM.heads,
          headDim: SMOLLM.headDim,
          vocab: SMOLLM.vocab,
        }),
    },
  ];
}

async function measure(c: BenchCase, reps: number, warmUp: boolean): Promise<Row> {
  const { ours, theirs } = await timePair(c.ours, c.theirs, reps, warmUp);
  const isFlops = 'flops' in c.work;
  const amount = 'flops' in c.work ? c.work.flops : c.work.bytes;
  const rate = (ms: number) => amount / (ms * 1e-3) / 1e9;
  return {
    op: c.op,
    shape: c.shape,
    unit: isFlops ? 'GFLOP/s' : 'GB/s',
    oursMs: ours.medianMs,
    oursRate: rate(ours.medianMs),
    tfjsMs: theirs.medianMs,
    tfjsRate: rate(theirs.medianMs),
    ratio: theirs.medianMs / ours.medianMs,
    reps,
    tfjs: c.tfjs,
    oursRunsMs: ours.runsMs,
    tfjsRunsMs: theirs.runsMs,
  };
}

function formatRow(r: Row): string {
  const cells = [
    r.op.padEnd(24),
    r.shape.padEnd(30),
    r.oursMs.toFixed(2).padStart(10),
    `${r.oursRate.toFixed(3)} ${r.unit}`.padStart(16),
    r.tfjsMs.toFixed(2).padStart(10),
    `${r.tfjsRate.toFixed(3)} ${r.unit}`.padStart(16),
    r.ratio.toFixed(2).padStart(7),
  ];
  return cells.join(' | ');
}

const HEADER = [
  'op'.padEnd(24),
  'shape'.padEnd(30),
  'ours ms'.padStart(10),
  'ours rate'.padStart(16),
  'TF.js ms'.padStart(10),
  'TF.js rate'.padStart(16),
  'ours/TF'.padStart(7),
].join(' | ');

async function main(): Promise<void> {
  const repsOf: Record<RepClass, number> = {
    normal: Number(process.env.BENCH_REPS ?? 5),
    large: Number(process.env.BENCH_LARGE_REPS ?? 3),
    lmHead: Number(process.env.BENCH_LM_HEAD_REPS ?? 1),
  };
  const { normal: reps, large: largeReps, lmHead: lmHeadReps } = repsOf;
  const only = process.env.BENCH_ONLY;
  const acquired = await acquireNodeDevice();
  const ctx = GpuContext.fromAcquired(acquired);
  const tfjs = await tfjsOnDevice(acquired.device);
  const bench: Bench = { ctx, tfjs };
  const started = Date.now();
  console.log(`device: ${acquired.report.description}`);
  console.log(`TF.js: ${tfjs.sharing}`);
  console.log(`matmul tiling: ${JSON.stringify(MATMUL_TILING)} (8×8 outputs per thread)`);
  console.log(`ratio = TF.js ms / ours ms (> 1: ours is faster); median of ${reps} runs after a warm-up ` +
    `(${largeReps} for SmolLM2's products, ${lmHeadReps} for its LM head, warmed up by the 576→1536 group)\n`);
  console.log(HEADER);
  console.log('-'.repeat(HEADER.length));
  const rows: Row[] = [];
  for (const g of groups(bench)) {
    if (only && !g.label.includes(only)) continue;
    const group = g.make();
    try {
      for (const c of group.cases) {
        const lmHead = g.reps === 'lmHead';
        const row = await measure(c, repsOf[g.reps], !lmHead || !!only);
        rows.push(row);
        console.log(formatRow(row));
      }
    } finally {
      group.dispose();
    }
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`\nTF.js composition where it has no single op:`);
  for (const r of rows) if (r.tfjs.startsWith('composed')) console.log(`  ${r.op}: ${r.tfjs}`);
  console.log(`total ${seconds.toFixed(0)} s`);
  if (only) return;
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'kernels.json');
  mkdirSync(dirname(out), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    device: acquired.report,
    tfjs: { sharing: tfjs.sharing, version: tfjs.tf.version_core },
    matmulTiling: { ...MATMUL_TILING, threadBlock: '8×8' },
    method: `median of ${reps} timed runs after one warm-up (SmolLM2 products: ${largeReps}; LM head: ${lmHeadReps}, warmed up by the ` +
      `576→1536 group, same pipelines); each run is one submit ` +
      `timed to queue.onSubmittedWorkDone(); ours and TF.js alternate; ratio = TF.js ms / ours ms`,
    seconds,
    rows,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
