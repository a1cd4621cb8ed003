/**
 * `npm run bench:data -- --train`: the real `webtune train` CLI on the large JSONL file (stories260K, seqLen 256,
 * micro-batch 4), measured from outside. The child runs under bench/heap-peak.mjs (its peak heapUsed, and the time
 * of each stderr write, with stderr claiming to be a terminal so every step's progress line is written) and with
 * `--cpu-prof`, so the time before the first optimizer step can be split into data work (samples with a frame in
 * src/data/, which includes the tokenizer it calls) and the rest (model load, GPU device, upload, pipeline
 * compiles, validation). Sampling costs the child a little speed; the figures are the child's own.
 *
 * Settings: WEBTUNE_BENCH_TRAIN_STEPS (default 200), WEBTUNE_BENCH_TRAIN_EVAL_EVERY (default 0: validation only
 * before training and at the end, since on SwiftShader each validation pass over ~400 held-out rows takes
 * minutes and says nothing about the data pipeline), WEBTUNE_BENCH_TRAIN_VAL_SPLIT (default: the CLI's 0.1; a
 * smaller share makes those two passes shorter).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLargeDataset } from '../e2e/support/dataset-large';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./heap-peak.mjs', import.meta.url));
const MODEL = fileURLToPath(new URL('../../shared/models/stories260K/stories260K.gguf', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface ThreadFigures {
  thread: string;
  dataMsBeforeFirstStep: number;
  /** Child ms of the first and of the last data sample before step 1 (when the first window's work ran). */
  firstDataSampleMs: number | null;
  lastDataSampleBeforeFirstStepMs: number | null;
  phases: PhaseFigures[];
}

export interface PhaseFigures {
  name: string;
  fromMs: number;
  toMs: number;
  /** Main-thread CPU samples in this phase, by kind, ms. */
  dataMs: number;
  otherMs: number;
  idleMs: number;
  gcMs: number;
}

export interface TrainFigures {
  command: string;
  exitCode: number | null;
  file: { mib: number; bytes: number; rows: number };
  steps: number;
  valSplit: string;
  /** ms since the child started: "webtune: training" line (model loaded, device acquired), step-0 validation line, step 1, exit. */
  times: { trainingLineMs: number | null; validationLineMs: number | null; firstStepMs: number | null; lastStepMs: number | null; exitMs: number };
  /** Data work (CPU in src/data/, every thread) before the first optimizer step's line, ms. */
  dataWorkBeforeFirstStepMs: number | null;
  /** Per thread (main, the data worker, tsx's loader hooks): its phases and its data work before step 1. */
  threads: ThreadFigures[];
  /** The heaviest functions (self time) of the data work before step 1. */
  topDataFunctions: { fn: string; selfMs: number }[];
  /** The main thread's peak heapUsed. */
  peakHeapUsedBytes: number;
  peakHeapUsedAtMs: number;
  /** Worker threads' own peaks (each a separate V8 heap). */
  workerHeaps: { threadId: number; peakHeapUsedBytes: number; atExitReported: boolean }[];
  /** Main + every worker's peak: an upper bound of the process's JS heap at any one time. */
  peakHeapSumBytes: number;
  peakRssBytes: number;
  heapSamples: number;
  cliJson: Record<string, unknown> | null;
  profile: string | null;
  profileIntervalUs: number;
}

interface ChildReport {
  code: number;
  clock: { perfMs: number; monotonicNs: string };
  peak: { heapUsed: number; heapUsedAtMs: number; rss: number; samples: number };
  atExit: { heapUsed: number; rss: number; ms: number };
  writes: { ms: number; text: string }[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const envInt = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}='${v}' is not a whole number`);
  return n;
};

export async function runTrainBench(dir: string, mib: number, log: (text: string) => void): Promise<TrainFigures> {
  const steps = envInt('WEBTUNE_BENCH_TRAIN_STEPS', 200);
  const evalEvery = envInt('WEBTUNE_BENCH_TRAIN_EVAL_EVERY', 0);
  const valSplit = process.env.WEBTUNE_BENCH_TRAIN_VAL_SPLIT || undefined;
  const intervalUs = 1000;
  const data = join(dir, 'large.jsonl');
  const made = await writeLargeDataset(data, mib * 2 ** 20);
  log(`large set for the CLI: ${made.rows} rows, ${(made.bytes / 2 ** 20).toFixed(0)} MiB`);
  // Profiles and the child's reports stay outside the temporary folder (deleted at the end) for a look afterwards.
  const profDir = join(tmpdir(), 'webtune-bench-data-train-prof');
  rmSync(profDir, { recursive: true, force: true });
  await mkdir(profDir);
  // Outside the temporary folder, so a run stopped by hand still leaves the child's figures.
  const report = join(tmpdir(), 'webtune-bench-data-train.report.json');
  const threadReports = () => readdirSync(dirname(report)).filter((f) => f.startsWith(`${basename(report)}.thread-`)).map((f) => join(dirname(report), f));
  for (const stale of [report, ...threadReports()]) rmSync(stale, { force: true });
  const args = [
    '--import', PRELOAD,
    '--cpu-prof', '--cpu-prof-dir', profDir, `--cpu-prof-interval=${intervalUs}`,
    'bin/webtune.mjs', 'train',
    '--model', MODEL, '--data', data, '--out', join(dir, 'out'),
    '--steps', String(steps), '--seq-len', '256', '--batch', '4', '--eval-every', String(evalEvery), '--json',
    ...(valSplit === undefined ? [] : ['--val-split', valSplit]),
  ];
  const command = `VK_ICD_FILENAMES=${SWIFTSHADER} node ${args.join(' ')}`;
  log(`running: ${command}`);
  const stderrLog = join(dir, 'stderr.log');
  const errOut = createWriteStream(stderrLog);
  let stdout = '';
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER, WEBTUNE_BENCH_REPORT: report, WEBTUNE_BENCH_TTY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.pipe(errOut);
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  errOut.end();
  const child = JSON.parse(readFileSync(report, 'utf8')) as ChildReport;
  if (exitCode !== 0) {
    const tail = child.writes.slice(-5).map((w) => w.text).join('');
    throw new Error(`webtune train exited with ${exitCode}; the end of its stderr:\n${tail}`);
  }
  const find = (re: RegExp) => child.writes.find((w) => re.test(w.text))?.ms ?? null;
  const stepLines = child.writes.filter((w) => /\] \d+\/\d+/.test(w.text));
  const times = {
    trainingLineMs: find(/webtune: training /),
    validationLineMs: find(/before training: validation loss/),
    firstStepMs: find(/\] 1\/\d+/),
    lastStepMs: stepLines.at(-1)?.ms ?? null,
    exitMs: child.atExit.ms,
  };
  // One profile per thread: the main one ran the CLI, the data worker node-worker.ts, tsx's loader hooks the rest.
  const profiles = readdirSync(profDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => {
      const text = readFileSync(join(profDir, f), 'utf8');
      const thread = text.includes('/src/cli/') ? 'main' : text.includes('/stream/remote/node-worker') ? 'data worker' : `other (${f})`;
      return { file: join(profDir, f), thread, profile: JSON.parse(text) as CpuProfile };
    });
  const profFile = profiles.find((p) => p.thread === 'main')?.file;
  const cuts: [string, number | null][] = [
    ['start → "webtune: training" (model load, GPU device)', times.trainingLineMs],
    ['→ step-0 validation line (data open, upload, trainer, validation)', times.validationLineMs],
    ['→ first step line', times.firstStepMs],
    ['→ exit (the other steps, final validation, adapter)', times.exitMs],
  ];
  const analysed = profiles.map((p) => ({ thread: p.thread, ...analyseProfile(p.profile, child.clock, cuts, times.firstStepMs) }));
  const workers = threadReports().map((f) => JSON.parse(readFileSync(f, 'utf8')) as ChildReport & { threadId: number });
  // Kept outside the temporary folder (which is deleted), for a look in Chrome DevTools or speedscope.
  const kept = profFile ? join(tmpdir(), 'webtune-bench-data-train.cpuprofile') : null;
  if (profFile && kept) copyFileSync(profFile, kept);
  const workerProfile = profiles.find((p) => p.thread === 'data worker')?.file;
  if (workerProfile) copyFileSync(workerProfile, join(tmpdir(), 'webtune-bench-data-train.worker.cpuprofile'));
  copyFileSync(stderrLog, join(tmpdir(), 'webtune-bench-data-train.stderr.log'));
  let cliJson: Record<string, unknown> | null = null;
  try {
    cliJson = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
    delete cliJson.losses;
  } catch {
    cliJson = null;
  }
  return {
    command,
    exitCode,
    file: { mib, bytes: made.bytes, rows: made.rows },
    steps,
    valSplit: valSplit ?? 'CLI default (0.1)',
    times,
    dataWorkBeforeFirstStepMs: times.firstStepMs === null ? null : analysed.reduce((sum, a) => sum + a.dataBeforeFirstStep, 0),
    threads: analysed.map((a) => ({
      thread: a.thread,
      dataMsBeforeFirstStep: a.dataBeforeFirstStep,
      firstDataSampleMs: a.firstData,
      lastDataSampleBeforeFirstStepMs: a.lastDataBeforeFirstStep,
      phases: a.phases,
    })),
    topDataFunctions: analysed.flatMap((a) => a.top.map((t) => ({ fn: `[${a.thread}] ${t.fn}`, selfMs: t.selfMs }))).sort((a, b) => b.selfMs - a.selfMs).slice(0, 12),
    peakHeapUsedBytes: child.peak.heapUsed,
    peakHeapUsedAtMs: child.peak.heapUsedAtMs,
    workerHeaps: workers.map((w) => ({ threadId: w.threadId, peakHeapUsedBytes: w.peak.heapUsed, atExitReported: w.code !== null })),
    peakHeapSumBytes: child.peak.heapUsed + workers.reduce((sum, w) => sum + w.peak.heapUsed, 0),
    peakRssBytes: child.peak.rss,
    heapSamples: child.peak.samples,
    cliJson,
    profile: kept,
    profileIntervalUs: intervalUs,
  };
}

/** Splits the main thread's samples at the cut times (child ms) into data / other / idle / GC time. */
function analyseProfile(
  profile: CpuProfile,
  clock: ChildReport['clock'],
  cuts: [string, number | null][],
  firstStepMs: number | null,
) {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const kindOf = new Map<number, 'data' | 'idle' | 'gc' | 'other'>();
  const kind = (id: number): 'data' | 'idle' | 'gc' | 'other' => {
    const known = kindOf.get(id);
    if (known) return known;
    const fn = byId.get(id)!.callFrame.functionName;
    let k: 'data' | 'idle' | 'gc' | 'other' = fn === '(idle)' ? 'idle' : fn === '(garbage collector)' ? 'gc' : 'other';
    if (k === 'other') {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        if (byId.get(at)!.callFrame.url.includes('/src/data/')) {
          k = 'data';
          break;
        }
      }
    }
    kindOf.set(id, k);
    return k;
  };
  // Child ms of a profile timestamp (µs of the monotonic clock).
  const monoStartUs = Number(BigInt(clock.monotonicNs) / 1000n);
  const toMs = (us: number) => (us - monoStartUs) / 1000 + clock.perfMs;
  const phases: PhaseFigures[] = [];
  let from = 0;
  for (const [name, to] of cuts) {
    if (to === null) continue;
    phases.push({ name, fromMs: from, toMs: to, dataMs: 0, otherMs: 0, idleMs: 0, gcMs: 0 });
    from = to;
  }
  const self = new Map<number, number>();
  let t = profile.startTime;
  let dataBeforeFirstStep = 0;
  let firstData: number | null = null;
  let lastDataBeforeFirstStep: number | null = null;
  for (let i = 0; i < profile.samples.length; i++) {
    const prev = t;
    t += profile.timeDeltas[i];
    const ms = toMs(t);
    const dt = (t - prev) / 1000;
    const id = profile.samples[i];
    const k = kind(id);
    const phase = phases.find((p) => ms >= p.fromMs && ms < p.toMs) ?? phases.at(-1);
    if (phase) phase[`${k}Ms`] += i === 0 ? 0 : dt;
    if (k === 'data') firstData ??= ms;
    if (k === 'data' && firstStepMs !== null && ms < firstStepMs) {
      lastDataBeforeFirstStep = ms;
      dataBeforeFirstStep += i === 0 ? 0 : dt;
      self.set(id, (self.get(id) ?? 0) + dt);
    }
  }
  // Self time by function (several nodes can be one function in different stacks).
  const byFn = new Map<string, number>();
  for (const [id, ms] of self) {
    const f = byId.get(id)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    byFn.set(name, (byFn.get(name) ?? 0) + ms);
  }
  const top = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([fn, selfMs]) => ({ fn, selfMs }));
  return { phases, dataBeforeFirstStep, firstData, lastDataBeforeFirstStep, top };
}
