/**
 * A fuzz run: each target's cases in a child process with a capped heap, watched by a timer. A case that does not
 * finish within `hangMs` is a hang (the process is killed and a new one goes on after it); a process that dies
 * (heap exhausted, uncaught exception, unhandled rejection, or Node itself aborting) is a finding at the case it
 * was running. A process rather than a worker thread, because the first full run found a file that makes Node
 * abort the whole process (a Blob sliced past 2^32), which no thread survives. Used by `npm run fuzz` (the full
 * run) and by the suite's fixed-seed slice (fuzz.test.ts).
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { FromCaseRunner, FuzzJob } from './protocol';

export interface CampaignOptions {
  targets: readonly string[];
  runSeed: number;
  /** Cases `first` … `first + cases − 1` (first defaults to 0; a later start reruns a known finding alone). */
  first?: number;
  cases: number;
  /** A case running longer than this is a hang. */
  hangMs: number;
  /** Each process's V8 old-generation cap; exceeding it kills the process and is a finding. */
  heapMb: number;
  /** Processes at once (default: one per core, at most the targets). */
  parallel?: number;
  onProgress?: (target: string, done: number, total: number) => void;
}

export interface Finding {
  index: number;
  /** What happened ("hang", "heap exhausted", or the error) and how the case was made. */
  detail: string;
}

export interface TargetReport {
  target: string;
  cases: number;
  ok: number;
  refused: number;
  /** Cases that threw something other than the reader's typed error. */
  untyped: Finding[];
  hangs: Finding[];
  /** The process died: heap exhausted, an exception or rejection nothing caught, or Node aborted. */
  crashes: Finding[];
  /** Seed files the reader refused (the target is then broken, not fuzzed). */
  seedFailures: string[];
  maxMs: number;
  p99Ms: number;
  /** Largest heap (V8 used + array buffers) seen after any case, in MiB. */
  peakHeapMiB: number;
  seconds: number;
  /** A few typed refusals, to show what the reader says. */
  sampleRefusals: string[];
}

export function findingsOf(report: TargetReport): Finding[] {
  return [...report.untyped, ...report.hangs, ...report.crashes];
}

const CASE_RUNNER = new URL('./case-runner.mjs', import.meta.url);

function runTarget(target: string, options: CampaignOptions): Promise<TargetReport> {
  const started = performance.now();
  const report: TargetReport = {
    target, cases: 0, ok: 0, refused: 0, untyped: [], hangs: [], crashes: [], seedFailures: [],
    maxMs: 0, p99Ms: 0, peakHeapMiB: 0, seconds: 0, sampleRefusals: [],
  };
  const times: number[] = [];
  return new Promise((resolve) => {
    const finish = () => {
      times.sort((a, b) => a - b);
      report.p99Ms = times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] ?? 0;
      report.seconds = (performance.now() - started) / 1000;
      resolve(report);
    };
    const last = (options.first ?? 0) + options.cases;
    const start = (from: number) => {
      if (from >= last) return finish();
      const job: FuzzJob = { target, runSeed: options.runSeed, from, to: last };
      const child = fork(CASE_RUNNER, [JSON.stringify(job)], {
        execArgv: [`--max-old-space-size=${options.heapMb}`],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      // The last of what the process printed to stderr: how a dead one died ("JavaScript heap out of memory").
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
      let running = -1;
      let over = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (running < 0) return;
          stop({ index: running, detail: `hang: case ${running} ran past ${options.hangMs} ms` }, report.hangs);
        }, options.hangMs);
      };
      const stop = (finding: Finding | null, list: Finding[]) => {
        if (over) return;
        over = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        if (finding) {
          list.push(finding);
          report.cases++;
          options.onProgress?.(target, report.cases, options.cases);
          start(finding.index + 1);
        } else finish();
      };
      arm();
      child.on('message', (message: FromCaseRunner) => {
        if (message.kind === 'seed-failed') report.seedFailures.push(`${message.seed}: ${message.detail}`);
        else if (message.kind === 'starting') {
          running = message.index;
          arm();
        } else if (message.kind === 'case') {
          running = -1;
          report.cases++;
          times.push(message.ms);
          report.maxMs = Math.max(report.maxMs, message.ms);
          report.peakHeapMiB = Math.max(report.peakHeapMiB, message.heapBytes / 2 ** 20);
          if (message.outcome === 'ok') report.ok++;
          else if (message.outcome === 'refused') {
            report.refused++;
            if (report.sampleRefusals.length < 5) report.sampleRefusals.push(message.detail);
          } else report.untyped.push({ index: message.index, detail: `${message.detail}\n  case: ${message.how}` });
          options.onProgress?.(target, report.cases, options.cases);
        } else stop(null, []);
      });
      child.on('exit', (code, signal) => {
        if (over) return;
        const how = /heap out of memory/i.test(stderr) ? 'heap exhausted' : `process died (${signal ?? `exit code ${code}`})`;
        const tail = stderr.trim().split('\n').slice(-6).join('\n  ');
        if (running < 0) {
          report.crashes.push({ index: -1, detail: `${how} between cases\n  ${tail}` });
          return stop(null, []);
        }
        stop({ index: running, detail: `${how} at case ${running}\n  ${tail}` }, report.crashes);
      });
    };
    start(options.first ?? 0);
  });
}

/** Runs every target; reports in the order given. */
export async function runCampaign(options: CampaignOptions): Promise<TargetReport[]> {
  const parallel = Math.max(1, Math.min(options.parallel ?? availableParallelism(), options.targets.length));
  const reports = new Map<string, TargetReport>();
  const queue = [...options.targets];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let target = queue.shift(); target !== undefined; target = queue.shift()) reports.set(target, await runTarget(target, options));
    }),
  );
  return options.targets.map((t) => reports.get(t)!);
}
