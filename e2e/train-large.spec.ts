/**
 * A 200 MiB dataset trains from the Train view: the file (about 1,000,000 rows, written at test time by
 * e2e/support/dataset-large.ts, never committed) streams from the run's copy in OPFS window by window, the data
 * pipeline's progress is shown (rows read, share of the file, its tokens per second), the epoch length and the ETA
 * say they are estimated, and the tab's JS heap (the page's, read through the DevTools protocol, plus its workers',
 * where the file is read and tokenized) stays within 500 MB while the run goes. A memory figure, not a timing: the
 * run's speed is a benchmark's (npm run bench:data).
 */
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { type LargeDataset, writeLargeDataset } from './support/dataset-large';
import { TabHeap } from './support/tab-heap';

const SIZE_MIB = Number(process.env.WEBTUNE_TRAIN_DATASET_MIB ?? 200);
const HEAP_LIMIT = 500 * 1024 * 1024;
/** The first step compiles every training kernel on SwiftShader (~80 s on a quiet machine; this one is shared). */
const FIRST_STEP_TIMEOUT = 240_000;

test.use({ trace: 'off' });

let dir = '';
let large: LargeDataset;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = join(tmpdir(), `webtune-train-large-${process.pid}`);
  await mkdir(dir, { recursive: true });
  large = await writeLargeDataset(join(dir, 'moon-200.jsonl'), SIZE_MIB * 1024 * 1024);
});

test.afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a 200 MiB file trains from the Train view with data progress shown, the page heap within 500 MB', async ({ page }) => {
  test.setTimeout(FIRST_STEP_TIMEOUT + 240_000);
  const heap = await TabHeap.watch(page);
  const sampleHeap = () => heap.sample();

  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/#train');
  await expect(page.getByRole('heading', { name: 'Train', level: 2 })).toBeVisible();
  await expect(page.getByTestId('train-memory')).toContainText('Estimated GPU memory', { timeout: 60_000 });
  await page.getByLabel('Choose a training dataset file').setInputFiles(large.path);
  await expect(page.getByTestId('train-file')).toHaveText('moon-200.jsonl');
  await page.getByLabel('Max steps').fill('3');
  await page.getByText('Advanced').click();
  // 1% of the first window (4,096 rows) is held out: about 40 rows to validate on.
  await page.getByLabel('Validation %').fill('1');
  await sampleHeap();

  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByTestId('train-status')).toHaveText('Running', { timeout: 120_000 });
  await expect(page.getByTestId('train-data-progress')).toContainText('rows read', { timeout: FIRST_STEP_TIMEOUT });
  // A file of a million rows streams: its share read is below 100%, and the plan says it is an estimate.
  await expect(page.getByTestId('train-data-progress')).toContainText('% of the file');
  await expect(page.getByText(/streaming/i).first()).toBeVisible();
  const status = page.getByTestId('train-status');
  await expect
    .poll(
      async () => {
        await sampleHeap();
        return status.textContent();
      },
      { timeout: FIRST_STEP_TIMEOUT + 120_000, intervals: [2000] },
    )
    .toBe('Finished');
  await sampleHeap();
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  console.log(
    `train-large: ${large.rows.toLocaleString('en-US')} rows, ${mib(large.bytes)}; peak JS heap: page ${mib(heap.peakPage)}, ` +
      `workers ${mib(heap.peakWorkers)} (at most ${heap.mostWorkers} workers at once: the engine's and its data worker)`,
  );
  expect(heap.peakPage).toBeGreaterThan(0);
  expect(heap.mostWorkers).toBeGreaterThanOrEqual(2);
  expect(heap.peakWorkers).toBeGreaterThan(0);
  expect(heap.peakPage + heap.peakWorkers).toBeLessThanOrEqual(HEAP_LIMIT);
});
