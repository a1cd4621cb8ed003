/**
 * The Compare view in headless Chromium on WebGPU (SwiftShader), against the built studio. Adapters made in Node
 * at test time are imported through the Adapters view (a folder, as a user picks one); the base, two LoRA adapters
 * (one batched generation, their columns filling together) and a DoRA adapter (a pass of its own) then run the same
 * greedy prompt side by side, and every column must equal `webtune generate --adapter … --with-base` on the same
 * files in Node. The evaluation table, the history (open, delete), Stop, Cancel, a bad dataset file and the
 * refusal of an adapter made for another base are checked on the way.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';

const run = promisify(execFile);
const MODEL = resolve('public/models/stories260K/stories260K.gguf');
const SCREENSHOT = resolve('docs/screenshots/compare.png');
const PROMPT = 'Once upon a time';
const MAX_TOKENS = 24;
/** SwiftShader: the first generation compiles the inference kernels, the first evaluation the training forward's. */
const SLOW = 240_000;

function panel(page: Page, name: string): Locator {
  return page.getByRole('region', { name, exact: true });
}

function statusOf(region: Locator): Locator {
  return region.locator('.panel-head').getByRole('status');
}

async function importFolder(page: Page, folder: string, name: string): Promise<void> {
  await page.goto('/#adapters');
  await page.getByLabel('Choose an adapter folder').setInputFiles(folder);
  await expect(page.getByText(`Imported “${name}” into the library.`)).toBeVisible({ timeout: 60_000 });
}

const ADAPTERS = ['moon-adapter', 'sun-adapter', 'dora-adapter'];
const COLUMNS = ['Base: stories260K.gguf', ...ADAPTERS];

test('base vs library adapters: one batch, the CLI’s texts, the eval table, history, stop and refusals', async ({ page }, testInfo) => {
  test.setTimeout(SLOW * 3);
  const fixtures = testInfo.outputPath('adapters');
  await run('npx', ['tsx', 'e2e/support/compare-adapters.ts', MODEL, fixtures]);
  // The CLI's greedy continuations with the same files (the base and the LoRA adapters batched there too),
  // computed while the browser works.
  const cli = run('npm', [
    'run', '-s', 'webtune', '--', 'generate', '--model', MODEL, ...ADAPTERS.flatMap((a) => ['--adapter', join(fixtures, a)]),
    '--with-base', '--prompt', PROMPT, '--max-tokens', String(MAX_TOKENS), '--greedy', '--json',
  ]).then(({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { text: string; batched: boolean }[]);

  await page.emulateMedia({ colorScheme: 'light' });
  // With no base loaded the Adapters view stores an adapter unchecked: this one was made for another vocabulary.
  await importFolder(page, join(fixtures, 'other-base-adapter'), 'other-base-adapter');

  await page.goto('/#compare');
  await expect(page.getByRole('heading', { name: 'Compare', level: 2 })).toBeVisible();
  await expect(page.getByText('No model is loaded.')).toBeVisible();
  await expect(page.getByText('No comparisons yet.')).toBeVisible();

  await page.goto('/#playground');
  const model = panel(page, 'Model');
  await model.getByRole('button', { name: 'Load stories260K (GGUF file)' }).click();
  await expect(statusOf(model)).toHaveText('Loaded', { timeout: SLOW });
  for (const name of ADAPTERS) await importFolder(page, join(fixtures, name), name);

  await page.goto('/#compare');
  await expect(page.getByTestId('compare-base')).toHaveText('stories260K.gguf');
  for (const name of ADAPTERS) await page.getByRole('checkbox', { name: new RegExp(name) }).check();
  await page.getByLabel('Comparison prompt').fill(PROMPT);
  await page.getByRole('checkbox', { name: 'Greedy' }).check();
  await page.getByLabel('Max tokens').fill(String(MAX_TOKENS));
  await page.getByLabel('Comparison prompt').press('Control+Enter');

  const outputs = panel(page, 'Outputs');
  await expect(statusOf(outputs)).toHaveText('Done', { timeout: SLOW });
  const texts = await Promise.all(COLUMNS.map((c) => outputs.getByLabel(`${c} text`).textContent()));
  const [baseText, adapterText] = texts;
  expect(new Set(texts).size).toBe(COLUMNS.length);
  const expected = await cli;
  expect(expected.map((c) => c.batched)).toEqual([true, true, true, false]);
  expect(texts).toEqual(expected.map((c) => c.text));
  const rates = outputs.getByTestId('column-rate');
  for (let i = 0; i < 3; i++) await expect(rates.nth(i)).toContainText(/^24 tokens · \d+\.\d tokens\/s · batched, 3 columns at once$/);
  await expect(rates.nth(3)).toContainText(/^24 tokens · \d+\.\d tokens\/s · own pass: DoRA needs its own adapted weights$/);
  await expect(outputs.getByTestId('batch-note')).toHaveText(
    /^3 columns generated in one batch \(\d+\.\d tokens\/s in all\): the base read once for all, 2 adapters in [\d.]+ KiB of GPU slots beside it\.$/,
  );

  // Evaluation on the sample's validation split (1%, held out by a seeded hash: 5 examples, to keep SwiftShader's
  // time down; the compression table below evaluates ten models on them).
  const evaluation = panel(page, 'Evaluation');
  await evaluation.getByLabel('Validation %').fill('1');
  await evaluation.getByRole('button', { name: 'Evaluate' }).click();
  await expect(statusOf(evaluation)).toHaveText('Done', { timeout: SLOW });
  await expect(evaluation.locator('caption')).toContainText('moon-stories.jsonl: 5 validation examples');
  const losses = (await evaluation.getByTestId('eval-loss').allTextContents()).map(Number);
  expect(losses).toHaveLength(COLUMNS.length);
  for (const loss of losses) expect(Number.isFinite(loss) && loss > 0).toBe(true);
  expect(new Set(losses).size).toBe(COLUMNS.length);
  await expect(evaluation.getByText('Added to this comparison in the history.')).toBeVisible();

  // The compression table on the same 5 examples: every GGUF type of the base, and of moon-adapter merged in
  // (the first chosen adapter, by default). The F32 re-export is the loaded base, so its loss is the evaluation's.
  const compression = panel(page, 'Compression');
  await expect(compression.getByLabel('Merge')).toHaveValue('1');
  await compression.getByRole('button', { name: 'Measure variants' }).click();
  const compressionTable = compression.getByTestId('compression-table');
  await expect(compressionTable.locator('caption')).toContainText('moon-stories.jsonl: 5 validation examples', { timeout: SLOW * 2 });
  const variants = ['F32', 'F16', 'Q8_0', 'Q4_0', 'Q4_K'];
  await expect(compressionTable.locator('tbody th')).toHaveText([
    ...variants.map((v) => new RegExp(`^Base · GGUF ${v}( \\*)?$`)),
    ...variants.map((v) => new RegExp(`^moon-adapter, merged · GGUF ${v}( \\*)?$`)),
  ]);
  const cellsOf = async (column: number) => compressionTable.locator(`tbody tr td:nth-child(${column})`).allTextContents();
  const sizes = (await cellsOf(2)).map((t) => Number(t.replace(' MiB', '')));
  for (const at of [0, 5]) {
    expect(sizes[at]).toBeGreaterThan(sizes[at + 1]); // F32 > F16
    expect(sizes[at + 1]).toBeGreaterThan(sizes[at + 2]); // F16 > Q8_0
    expect(sizes[at + 2]).toBeGreaterThan(sizes[at + 3]); // Q8_0 > Q4_0
  }
  const ratios = await cellsOf(3);
  expect([ratios[1], ratios[6]]).toEqual(['1.00×', '1.00×']);
  const compressedLosses = (await compression.getByTestId('compression-loss').allTextContents()).map(Number);
  expect(compressedLosses[0]).toBe(losses[0]);
  expect(Math.abs(compressedLosses[5] - losses[1])).toBeLessThan(2e-3); // merged F32 ≈ the unmerged column
  expect(compressedLosses[5]).not.toBe(compressedLosses[0]);
  await expect(compression.getByTestId('compression-note')).toContainText('written as F16: rows of 172 values are not whole 32-value Q8_0 blocks');
  await compression.screenshot({ path: resolve('docs/screenshots/compression.png') });

  // The history keeps the comparison with its evaluation; opened, it shows the same texts and losses.
  const history = panel(page, 'History');
  const entries = history.getByRole('list', { name: 'Past comparisons' }).getByRole('listitem');
  await expect(entries).toHaveCount(1);
  await expect(entries.first()).toContainText(`“${PROMPT}”`);
  await expect(entries.first()).toContainText(`${COLUMNS.join(' vs ')} · evaluated`);
  await entries.first().getByRole('button', { name: /^Open comparison/ }).click();
  const opened = history.getByRole('region', { name: 'Opened comparison' });
  await expect(opened.getByLabel('moon-adapter text')).toHaveText(adapterText!);
  await expect(opened.getByLabel('Base: stories260K.gguf text')).toHaveText(baseText!);
  await expect(opened).toContainText(`${MAX_TOKENS} tokens, greedy`);
  expect((await opened.getByTestId('eval-loss').allTextContents()).map(Number)).toEqual(losses);

  await mkdir(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // The batched columns fill at the same time: while the base's column is generating, so are both LoRA columns,
  // each with text of its own, and the DoRA column waits for its own pass. Stop: every batched column keeps the
  // text it had (and ends), the DoRA column is skipped, and nothing is added to the history.
  await page.getByLabel('Max tokens').fill('400');
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  const column = (name: string) => outputs.getByRole('listitem', { name, exact: true });
  await expect(column(COLUMNS[0])).toContainText('Generating', { timeout: SLOW });
  await expect(outputs.getByLabel(`${COLUMNS[0]} text`)).not.toHaveText('');
  for (const name of COLUMNS.slice(1, 3)) {
    await expect(column(name)).toContainText('Generating');
    await expect(outputs.getByLabel(`${name} text`)).not.toHaveText('');
  }
  await expect(column(COLUMNS[3])).toContainText('Waiting');
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(statusOf(outputs)).toHaveText('Stopped', { timeout: SLOW });
  for (const name of COLUMNS.slice(0, 3)) {
    await expect(column(name)).toContainText('Done');
    await expect(outputs.getByLabel(`${name} text`)).not.toHaveText('');
  }
  await expect(column(COLUMNS[3])).toContainText('Skipped');
  await expect(entries).toHaveCount(1);

  // Cancel an evaluation: no table, nothing saved.
  await evaluation.getByRole('button', { name: 'Evaluate' }).click();
  await evaluation.getByRole('button', { name: 'Cancel' }).click();
  await expect(statusOf(evaluation)).toHaveText('Cancelled', { timeout: SLOW });
  await expect(evaluation.getByText('Cancelled; nothing was measured to the end')).toBeVisible();

  // A dataset file that is not one: refused in the table's place, naming the file.
  await evaluation
    .getByLabel('Choose an evaluation dataset')
    .setInputFiles({ name: 'broken.jsonl', mimeType: 'application/octet-stream', buffer: Buffer.from('not json\n{"prompt":\n') });
  await expect(evaluation.getByText('File: broken.jsonl')).toBeVisible();
  await evaluation.getByRole('button', { name: 'Evaluate' }).click();
  const badData = evaluation.getByRole('alert');
  await expect(badData.getByRole('heading')).toHaveText('This dataset cannot be used', { timeout: SLOW });
  await expect(badData).toContainText('broken.jsonl');
  await evaluation.getByLabel('Sample: moon-stories.jsonl').check();
  await expect(evaluation.getByText('Choose a file…')).toBeVisible();

  // An adapter for another base is refused, naming both.
  await page.getByRole('checkbox', { name: /other-base-adapter/ }).check();
  await page.getByLabel('Max tokens').fill(String(MAX_TOKENS));
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  const refusal = outputs.getByRole('alert');
  await expect(refusal.getByRole('heading')).toHaveText('This adapter is for another base model', { timeout: SLOW });
  await expect(refusal).toContainText("'stories-big-vocab'");
  await expect(refusal).toContainText("'stories260K.gguf'");

  // Delete: gone now and after a reload.
  await entries.first().getByRole('button', { name: /^Delete comparison/ }).click();
  await expect(history.getByText('No comparisons yet.')).toBeVisible();
  await page.reload();
  await expect(panel(page, 'History').getByText('No comparisons yet.')).toBeVisible();
});
