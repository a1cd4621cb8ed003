/**
 * The Datasets view in headless Chromium, against the built studio: files are given to the page's file input (as a
 * user picking them would), read and tokenized in the engine worker, and summarised on screen. Tokens come from the
 * bundled stories260K tokenizer, since no model is loaded in these tests.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const SAMPLE = resolve('public/datasets/moon-stories.jsonl');
const SCREENSHOT = resolve('docs/screenshots/datasets.png');
/** Reading and tokenizing 400 rows takes well under a second; the margin is for a busy shared machine. */
const READY_TIMEOUT = 60_000;

async function openDatasets(page: Page): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/#datasets');
  await expect(page.getByRole('heading', { name: 'Datasets', level: 2 })).toBeVisible();
}

async function giveFile(page: Page, name: string, contents: string | Buffer): Promise<void> {
  const buffer = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
  await page.getByLabel('Choose a dataset file').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
}

function problem(page: Page) {
  return page.getByRole('alert').filter({ hasText: 'This file cannot be used' });
}

test('the sample dataset shows rows, trained and masked tokens, the length histogram and the split', async ({ page }, testInfo) => {
  await openDatasets(page);
  await expect(page.getByText('No dataset yet.')).toBeVisible();
  const sampleLines = (await readFile(SAMPLE, 'utf8')).trim().split('\n');
  const first = JSON.parse(sampleLines[0]) as { prompt: string; completion: string };

  await page.getByLabel('Choose a dataset file').setInputFiles(SAMPLE);
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview.locator('.token-row').first()).toBeVisible({ timeout: READY_TIMEOUT });

  const summary = page.getByRole('list', { name: 'Legend' });
  await expect(summary).toContainText('Trained');
  await expect(summary).toContainText('Masked');
  await expect(page.locator('dl[aria-label="Dataset summary"]')).toContainText(`${sampleLines.length} of ${sampleLines.length} rows`);
  await expect(page.getByTestId('dataset-tokenizer')).toContainText('bundled stories260K');

  // The first row: its answer is what is trained, its prompt is only context.
  const row = preview.locator('.token-row').first();
  await expect(row.locator('.token-row-head')).toContainText('Line 1');
  const trained = (await row.locator('mark.tok-trained').allTextContents()).join('');
  const masked = (await row.locator('.tok-masked').allTextContents()).join('');
  expect(trained).toContain('the moon hummed goodnight');
  expect(trained).not.toContain(first.prompt);
  expect(masked).toContain(first.prompt);
  expect(masked).not.toContain('hummed goodnight');

  // The histogram counts every example, and none of these short stories is over 256 tokens.
  const histogram = page.getByRole('region', { name: 'Token lengths' });
  await expect(histogram.locator('.recharts-bar-rectangle').first()).toBeVisible();
  const counts = await histogram.locator('table tbody td').allTextContents();
  expect(counts.reduce((sum, c) => sum + Number(c), 0)).toBe(sampleLines.length);
  await expect(page.getByTestId('over-length')).toHaveText('All fit in 256 tokens');

  // The default split holds out about 10%, row by row by a seeded hash (seed 42: 35 of 400); another share changes it.
  const split = page.locator('.dataset-split');
  await expect(split).toHaveText(`Split: ${sampleLines.length - 35} training · 35 validation examples`);
  await page.getByLabel('Validation %').fill('25');
  await expect(split).toHaveText(`Split: ${sampleLines.length - 87} training · 87 validation examples`);

  // A sequence length shorter than the stories: the view counts the examples that are cut.
  await page.getByLabel('Sequence length').fill('40');
  await expect(page.getByTestId('over-length')).toHaveText(/^\d+ of 400 longer than 40 tokens$/);
  await page.getByLabel('Sequence length').fill('256');
  await expect(page.getByTestId('over-length')).toHaveText('All fit in 256 tokens');

  // Training on inputs marks the prompt as trained too.
  await page.getByLabel('Train on inputs').check();
  await expect(row.locator('.tok-masked')).toHaveCount(1, { timeout: READY_TIMEOUT }); // only the first token
  await page.getByLabel('Train on inputs').uncheck();
  await expect(row.locator('.tok-masked').first()).toContainText(first.prompt);
  await page.getByLabel('Validation %').fill('10');
  await expect(split).toHaveText(`Split: ${sampleLines.length - 35} training · 35 validation examples`);

  await page.getByLabel('Validation %').blur();
  await mkdir(dirname(SCREENSHOT), { recursive: true });
  const shot = await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await testInfo.attach('datasets', { body: shot, contentType: 'image/png' });
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await page.screenshot({ path: testInfo.outputPath('datasets-dark.png'), fullPage: true });
  await testInfo.attach('datasets (dark)', { body: dark, contentType: 'image/png' });
});

test('"Use the sample dataset" fetches it from the studio’s own origin', async ({ page, baseURL }) => {
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await openDatasets(page);
  await page.getByRole('button', { name: 'Use the sample dataset' }).click();
  await expect(page.getByRole('region', { name: 'Preview' }).locator('.token-row')).toHaveCount(6, { timeout: READY_TIMEOUT });
  await expect(page.getByRole('heading', { name: 'moon-stories.jsonl' })).toBeVisible();
  expect(requests.some((url) => url.endsWith('/datasets/moon-stories.jsonl'))).toBe(true);
  expect(requests.filter((url) => !url.startsWith(baseURL!))).toEqual([]);
});

test('a malformed JSONL line is listed with its line, or refuses the file when bad rows are refused', async ({ page }) => {
  await openDatasets(page);
  const jsonl = [
    '{"prompt":"Say hi.","completion":"Hi there."}',
    '{"prompt":"Say bye.","completion":"Bye." ',
    '{"prompt":"Count.","completion":"One, two."}',
  ].join('\n');
  await giveFile(page, 'broken.jsonl', jsonl);
  const skipped = page.getByRole('region', { name: 'Skipped rows' });
  await expect(skipped).toBeVisible({ timeout: READY_TIMEOUT });
  await expect(skipped.locator('tbody tr')).toHaveCount(1);
  await expect(skipped.locator('tbody th')).toHaveText('2:42');
  await expect(skipped.locator('tbody td')).toContainText("invalid JSON: expected ',' or '}' after a property value");

  await page.getByLabel('Refuse the file').check();
  await expect(problem(page)).toContainText('broken.jsonl: 1 bad row: line 2 col 42: invalid JSON', { timeout: READY_TIMEOUT });
  // Back to skipping: the same file is usable again without opening it anew.
  await page.getByLabel('Skip them, use the rest').check();
  await expect(page.getByRole('region', { name: 'Preview' }).locator('.token-row')).toHaveCount(2, { timeout: READY_TIMEOUT });
});

test('a CSV missing the needed columns is refused by name, then read once its columns are mapped', async ({ page }) => {
  await openDatasets(page);
  await giveFile(page, 'qa.csv', 'question,answer\n"What is the moon?","A rock in the sky."\n"Who hums?","The moon, at night."\n');
  await expect(problem(page)).toContainText('qa.csv: missing columns: the header (line 1) has "question", "answer"', {
    timeout: READY_TIMEOUT,
  });
  await page.getByLabel('Shape').selectOption('prompt-completion');
  await expect(problem(page)).toContainText('missing columns "prompt", "completion" needed for "prompt"/"completion" rows');
  await page.getByLabel('prompt', { exact: true }).selectOption('question');
  await page.getByLabel('completion', { exact: true }).selectOption('answer');
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview.locator('.token-row')).toHaveCount(2, { timeout: READY_TIMEOUT });
  await expect(preview.locator('.token-row').first().locator('mark.tok-trained')).toContainText('A rock in the sky.');
});

test('a binary file and an empty file are refused with what is wrong', async ({ page }) => {
  await openDatasets(page);
  await giveFile(page, 'picture.jsonl', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
  await expect(problem(page)).toContainText('picture.jsonl: is a binary file, not text (a NUL byte at byte 8)', {
    timeout: READY_TIMEOUT,
  });
  await giveFile(page, 'empty.csv', '');
  await expect(problem(page)).toContainText('empty.csv: the file is empty (0 bytes)', { timeout: READY_TIMEOUT });
});

test('a Parquet file is read by its columns, with bad rows numbered by row', async ({ page }) => {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const parquet = parquetWriteBuffer({
    columnData: [
      { name: 'instruction', data: ['Name a colour.', '', 'Say hello.'], type: 'STRING' },
      { name: 'output', data: ['Blue.', 'Nothing.', 'Hello!'], type: 'STRING' },
    ],
  });
  await openDatasets(page);
  await giveFile(page, 'tiny.parquet', Buffer.from(parquet));
  await expect(page.getByRole('region', { name: 'Preview' }).locator('.token-row')).toHaveCount(2, { timeout: READY_TIMEOUT });
  await expect(page.locator('dl[aria-label="Dataset summary"]')).toContainText('Alpaca');
  const skipped = page.getByRole('region', { name: 'Skipped rows' });
  await expect(skipped.locator('thead th').first()).toHaveText('Row');
  await expect(skipped.locator('tbody tr')).toHaveText(['2empty content: "instruction" is empty']);
});

test('once a model is loaded, the open dataset is re-tokenized with its tokenizer and template', async ({ page }) => {
  // Loading compiles nothing, but uploading weights on SwiftShader is slow on a busy machine.
  test.setTimeout(180_000);
  await openDatasets(page);
  await page.getByRole('button', { name: 'Use the sample dataset' }).click();
  const note = page.getByTestId('dataset-tokenizer');
  await expect(note).toContainText('No model is loaded', { timeout: READY_TIMEOUT });

  const nav = page.getByRole('navigation', { name: 'Sections' });
  await nav.getByRole('link', { name: 'Playground' }).click();
  const model = page.getByRole('region', { name: 'Model', exact: true });
  await model.getByRole('button', { name: 'Load stories260K (GGUF file)' }).click();
  await expect(model.locator('.panel-head').getByRole('status')).toHaveText('Loaded', { timeout: 150_000 });

  await nav.getByRole('link', { name: 'Datasets' }).click();
  await expect(note).toContainText('Tokens from the loaded model, stories260K', { timeout: READY_TIMEOUT });
  const firstRow = page.getByRole('region', { name: 'Preview' }).locator('.token-row').first();
  await expect(firstRow.locator('mark.tok-trained').first()).toContainText('Hush, the moon is up.');
});
