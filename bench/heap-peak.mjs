/**
 * Preload for a child process measured by bench/data.bench.ts (`node --import ./bench/heap-peak.mjs …`): the peak
 * JS heap the child reaches, and when each of its stderr writes happened, written as JSON to the file named by
 * WEBTUNE_BENCH_REPORT when the process exits. Measured from outside the code under test, so nothing in src/
 * needs a timing hook.
 *
 * Heap: `process.memoryUsage().heapUsed` (this thread's isolate only; a worker thread, which inherits the preload,
 * reports its own to WEBTUNE_BENCH_REPORT.thread-<id>.json) sampled every 50 ms by an unref'd timer, and also at every stderr write
 * (a timer cannot fire while the event loop is blocked, a write still can). A peak between two samples is missed,
 * so the figure is a lower bound of the true peak (within the garbage made in 50 ms).
 *
 * Time: each stderr write's `performance.now()` (ms since the process started), its first 200 characters, and the
 * monotonic clock at the same moment, so a `--cpu-prof` profile (microseconds of CLOCK_MONOTONIC) can be cut at
 * those writes. WEBTUNE_BENCH_TTY=1 makes stderr claim to be a terminal, so the CLI's progress reporter redraws
 * its line at every step instead of every twentieth of the run, and the first step's line is seen.
 */
import { writeFileSync } from 'node:fs';
import { isMainThread, threadId } from 'node:worker_threads';

const mainReport = process.env.WEBTUNE_BENCH_REPORT;
if (!mainReport) throw new Error('bench/heap-peak.mjs: set WEBTUNE_BENCH_REPORT to the file the report goes to');
// A worker thread (which inherits --import) is its own V8 isolate with its own heap: it reports to a file of its own.
const reportPath = isMainThread ? mainReport : `${mainReport}.thread-${threadId}.json`;

// The two clocks read together: performance.now() is ms since the process began, hrtime the monotonic clock in ns.
const clock = { perfMs: performance.now(), monotonicNs: process.hrtime.bigint().toString() };
const peak = { heapUsed: 0, heapUsedAtMs: 0, rss: 0, samples: 0 };
const writes = [];

function sample() {
  const m = process.memoryUsage();
  peak.samples++;
  if (m.heapUsed > peak.heapUsed) {
    peak.heapUsed = m.heapUsed;
    peak.heapUsedAtMs = performance.now();
  }
  if (m.rss > peak.rss) peak.rss = m.rss;
}

setInterval(sample, 50).unref();

if (isMainThread && process.env.WEBTUNE_BENCH_TTY === '1') {
  Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
}

if (isMainThread) {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => {
    sample();
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    writes.push({ ms: performance.now(), text: text.slice(0, 200) });
    return write(chunk, ...rest);
  };
}

function writeReport(code) {
  sample();
  const end = process.memoryUsage();
  writeFileSync(
    reportPath,
    `${JSON.stringify({ threadId, code, clock, peak, atExit: { heapUsed: end.heapUsed, rss: end.rss, ms: performance.now() }, writes })}\n`,
  );
}

// Also every 2 s (code null), so a run stopped early, or a worker terminated (no 'exit' event), still leaves
// what it measured.
setInterval(() => writeReport(null), 2_000).unref();
process.on('exit', (code) => writeReport(code));
