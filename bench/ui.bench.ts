/**
 * UI benchmark: how long the page's main thread is busy while the studio works, in the built studio in headless
 * Chromium on SwiftShader (the e2e tests' browser). The suite asserts no timings (a busy machine makes any task
 * long); this is where the figures live.
 *
 *  1. A Quick run of the bundled stories260K on the sample dataset, from Start to its end: the main thread's long
 *     tasks (the browser's `longtask` entries, every task over 50 ms), the worst one, and the time from Start to the
 *     first optimizer step (which waits for the training pipelines to compile).
 *  2. Reading a large JSONL in the Datasets view (BENCH_DATASET_MIB, default 80; written at run time as the
 *     large-dataset e2e does): long tasks from the drop until the worker's summary arrives.
 *
 * Run: npm run bench:ui (builds the studio first). Writes bench/results/ui.json (BENCH_RESULTS for another path).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';
import { CHROMIUM, QUIET, SWIFTSHADER_WEBGPU } from '../e2e/support/chromium';
import { writeLargeDataset } from '../e2e/support/dataset-large';

const RESULTS = process.env.BENCH_RESULTS ?? fileURLToPath(new URL('./results/ui.json', import.meta.url));
const PORT = Number(process.env.BENCH_PORT ?? 4273);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const DATASET_MIB = Number(process.env.BENCH_DATASET_MIB ?? 80);

interface LongTask {
  start: number;
  duration: number;
}

declare global {
  interface Window {
    benchLongTasks: LongTask[];
  }
}

async function startPreview(): Promise<() => void> {
  const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { stdio: 'ignore' });
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(ORIGIN)).ok) return () => server.kill();
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  server.kill();
  throw new Error(`vite preview did not answer on ${ORIGIN}`);
}

/** Every long task of the page from its first script on. */
async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.benchLongTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.benchLongTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

async function tasksBetween(page: Page, from: number, to: number): Promise<LongTask[]> {
  return page.evaluate(([a, b]) => window.benchLongTasks.filter((t) => t.start >= a && t.start <= b), [from, to]);
}

function summary(tasks: LongTask[], seconds: number) {
  const durations = tasks.map((t) => t.duration).sort((a, b) => a - b);
  return {
    seconds,
    longTasks: tasks.length,
    worstMs: durations.at(-1) ?? 0,
    medianLongMs: durations.length ? durations[Math.floor(durations.length / 2)] : 0,
    over100Ms: durations.filter((d) => d > 100).length,
    longTaskMsPerSecond: durations.reduce((s, d) => s + d, 0) / seconds,
  };
}

const now = (page: Page) => page.evaluate(() => performance.now());

async function quickRun(page: Page) {
  await watchLongTasks(page);
  await page.goto(`${ORIGIN}/#train`);
  await page.getByTestId('train-memory').getByText('Estimated GPU memory').waitFor({ timeout: 120_000 });
  const started = await now(page);
  await page.getByRole('button', { name: 'Start training' }).click();
  const step = async () => Number(await page.getByTestId('train-step').textContent().catch(() => '0'));
  let firstStepAt = 0;
  for (;;) {
    const status = await page.getByTestId('train-status').textContent();
    if (!firstStepAt && (await step()) >= 1) firstStepAt = await now(page);
    if (status && !/Running|Starting/.test(status) && (await now(page)) - started > 5000) break;
    await page.waitForTimeout(500);
  }
  const ended = await now(page);
  const status = await page.getByTestId('train-status').textContent();
  const tasks = await tasksBetween(page, started, ended);
  return {
    status,
    steps: await step(),
    firstStepSeconds: (firstStepAt - started) / 1000,
    ...summary(tasks, (ended - started) / 1000),
  };
}

async function datasetRead(page: Page, path: string) {
  await watchLongTasks(page);
  await page.goto(`${ORIGIN}/#datasets`);
  await page.getByRole('heading', { name: 'Datasets', level: 2 }).waitFor();
  const started = await now(page);
  await page.getByLabel('Choose a dataset file').setInputFiles(path);
  // Reading shows its progress until the worker's summary arrives.
  await page.locator('.dataset-progress').waitFor({ state: 'attached', timeout: 60_000 });
  await page.locator('.dataset-progress').waitFor({ state: 'detached', timeout: 600_000 });
  await page.locator('dl[aria-label="Dataset summary"]').waitFor({ timeout: 60_000 });
  const ended = await now(page);
  // The summary's count, so the figure is known to cover the whole file.
  const facts = (await page.locator('dl[aria-label="Dataset summary"]').textContent()) ?? '';
  const counted = /([\d,]+) of ([\d,]+) rows/.exec(facts);
  return { rowsCounted: counted ? Number(counted[2].replace(/,/g, '')) : null, ...summary(await tasksBetween(page, started, ended), (ended - started) / 1000) };
}

async function main() {
  const stop = await startPreview();
  const dir = await mkdtemp(join(tmpdir(), 'webtune-bench-ui-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...SWIFTSHADER_WEBGPU, ...QUIET], headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const quick = await quickRun(await context.newPage());
    console.log(
      `Quick run (${quick.status}, ${quick.steps} steps, ${quick.seconds.toFixed(0)} s): first step after ${quick.firstStepSeconds.toFixed(1)} s; ` +
        `${quick.longTasks} long tasks, worst ${quick.worstMs.toFixed(0)} ms, ${quick.over100Ms} over 100 ms`,
    );
    await context.close();
    const large = await writeLargeDataset(join(dir, 'moon-large.jsonl'), DATASET_MIB * 2 ** 20);
    const readContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const read = await datasetRead(await readContext.newPage(), large.path);
    console.log(
      `Datasets view, ${DATASET_MIB} MiB JSONL (${large.rows.toLocaleString('en-US')} rows, ${read.rowsCounted?.toLocaleString('en-US')} counted, ${read.seconds.toFixed(1)} s): ` +
        `${read.longTasks} long tasks, worst ${read.worstMs.toFixed(0)} ms, ${read.over100Ms} over 100 ms`,
    );
    await readContext.close();
    const out = { date: new Date().toISOString(), browser: `chromium ${browser.version()} (SwiftShader)`, quickRun: quick, datasetRead: { mib: DATASET_MIB, rows: large.rows, ...read } };
    await mkdir(dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`written ${RESULTS}`);
  } finally {
    await browser.close();
    stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
