/**
 * The playground in headless Chromium on WebGPU (SwiftShader in CI), through the studio's own code path: the page,
 * its store, the engine worker and the same GPU forward the CLI uses. Greedy output must equal the reference
 * continuation in ../shared/models/README.md exactly, from both bundled formats of stories260K.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';

/** The README's reference, read at test time (CI has ../shared beside the clone) rather than pasted here. */
const MODELS_README = resolve('../shared/models/README.md');
const PLAYGROUND_SCREENSHOT = resolve('docs/screenshots/playground.png');
const HF_FOLDER = resolve('public/models/stories260K/hf');

/**
 * Generation on SwiftShader is slow (a CPU emulating a GPU): a page's first run compiles every kernel, about a
 * minute on a busy two-core machine, then 64 tokens take some seconds more.
 */
const GENERATION_TIMEOUT = 150_000;

async function referenceContinuation(): Promise<string> {
  const readme = await readFile(MODELS_README, 'utf8');
  const from = readme.indexOf('Once upon a time');
  const block = /```[^\n]*\n([\s\S]*?)\n```/.exec(readme.slice(from));
  if (from < 0 || !block) throw new Error(`${MODELS_README}: no fenced reference continuation after the prompt`);
  return block[1];
}

function panel(page: Page, name: string): Locator {
  return page.getByRole('region', { name, exact: true });
}

function statusOf(region: Locator): Locator {
  return region.locator('.panel-head').getByRole('status');
}

function fact(list: Locator, term: string): Locator {
  return list.locator(':scope > div').filter({ has: list.page().getByText(term, { exact: true }) }).locator('dd');
}

async function openPlayground(page: Page): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/#playground');
  await expect(page.getByRole('heading', { name: 'Playground', level: 2 })).toBeVisible();
}

type BundledFormat = 'GGUF file' | 'Hugging Face folder';

async function loadBundled(page: Page, format: BundledFormat): Promise<Locator> {
  const model = panel(page, 'Model');
  await model.getByRole('button', { name: `Load stories260K (${format})` }).click();
  await expect(statusOf(model)).toHaveText('Loaded', { timeout: GENERATION_TIMEOUT });
  return model.locator('dl[aria-label="Loaded model"]');
}

/** Fills the form for a greedy run and presses Generate from the keyboard. */
async function generateGreedy(page: Page, prompt: string, maxTokens: number): Promise<void> {
  await page.getByLabel('Prompt', { exact: true }).fill(prompt);
  await page.getByLabel('Greedy').check();
  await page.getByLabel('Max tokens').fill(String(maxTokens));
  await expect(page.getByLabel('Temperature')).toBeDisabled();
  await page.getByLabel('Prompt', { exact: true }).press('Control+Enter');
}

/** Loads one bundled format, checks its summary, and generates the reference's 64 tokens greedily. */
async function expectReference(page: Page, format: BundledFormat, reference: string): Promise<void> {
  const started = Date.now();
  const facts = await loadBundled(page, format);
  const loaded = Date.now();
  await expect(fact(facts, 'Architecture')).toHaveText('llama');
  await expect(fact(facts, 'Layers')).toHaveText('5');
  await expect(fact(facts, 'Heads')).toHaveText('8 query, 4 KV, 8 wide');
  await expect(fact(facts, 'Vocabulary')).toHaveText('512');
  await expect(fact(facts, 'Quantization')).toHaveText('F32');
  const output = panel(page, 'Output');
  // A new model clears the last run's output.
  await expect(statusOf(output)).toHaveText('Idle');

  await generateGreedy(page, 'Once upon a time', 64);
  await expect(statusOf(output)).toHaveText('Done', { timeout: GENERATION_TIMEOUT });
  // Wall-clock figures for the record only (performance is measured in benchmarks, never asserted).
  test.info().annotations.push({
    type: `timing (${format})`,
    description: `load ${loaded - started} ms, generate 64 tokens ${Date.now() - loaded} ms`,
  });
  // Exact text, whitespace and newline included: textContent, not Playwright's whitespace-normalising matchers.
  expect(await output.getByRole('status', { name: 'Generated text' }).textContent(), format).toBe(reference);
  const stats = output.locator('dl[aria-label="Run figures"]');
  await expect(fact(stats, 'Tokens')).toHaveText('64 / 64');
  await expect(fact(stats, 'Stop reason')).toHaveText('max tokens reached');
  await expect(fact(stats, 'Decode')).toHaveText(/^\d+(\.\d)? tok\/s$/);
}

// Both formats in one page: the engine compiles its kernels once per device, which on SwiftShader takes a minute.
test('greedy output from the bundled stories260K, as GGUF and as a Hugging Face folder, equals the reference', async ({
  page,
}, testInfo) => {
  test.setTimeout(GENERATION_TIMEOUT * 3);
  const reference = await referenceContinuation();
  await openPlayground(page);

  await expectReference(page, 'GGUF file', reference);
  const shot = await page.screenshot({ fullPage: true });
  await testInfo.attach('playground', { body: shot, contentType: 'image/png' });
  await mkdir(dirname(PLAYGROUND_SCREENSHOT), { recursive: true });
  await page.screenshot({ path: PLAYGROUND_SCREENSHOT, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await testInfo.attach('playground-dark', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

  await expectReference(page, 'Hugging Face folder', reference);
  await expect(panel(page, 'Model').getByText('Hugging Face', { exact: true })).toBeVisible();
});

test('refuses files that are not a model, each with its own message, and opens a model folder', async ({ page }) => {
  test.setTimeout(GENERATION_TIMEOUT);
  await openPlayground(page);
  const model = panel(page, 'Model');
  const problem = model.getByRole('alert');

  await page.getByLabel('Open .gguf file…').setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('Remember to buy milk.\n'),
  });
  await expect(statusOf(model)).toHaveText('Failed');
  await expect(problem.getByRole('heading')).toHaveText('These files are not a model');
  await expect(problem).toContainText('notes.txt is not a model file');

  // The same refusal for a file dropped on the zone.
  const transfer = await page.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(['a,b\n1,2\n'], 'table.csv', { type: 'text/csv' }));
    return data;
  });
  await model.locator('.drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
  await expect(problem).toContainText('table.csv is not a model file');

  // A file named like a model but holding something else reaches the engine, whose loader names the file.
  await page.getByLabel('Open .gguf file…').setInputFiles({
    name: 'broken.gguf',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('this is not a GGUF header at all'),
  });
  await expect(problem.getByRole('heading')).toHaveText('This model could not be read', { timeout: GENERATION_TIMEOUT });
  await expect(problem).toContainText('broken.gguf');

  // The folder picker hands over a Hugging Face folder's files with their paths inside it.
  await page.getByLabel('Open model folder…').setInputFiles(HF_FOLDER);
  await expect(statusOf(model)).toHaveText('Loaded', { timeout: GENERATION_TIMEOUT });
  await expect(model.getByText('Hugging Face', { exact: true })).toBeVisible();
  await expect(model.getByRole('alert')).toHaveCount(0);
});

test('marks a bad setting beside its field, and Stop ends a long generation keeping its text', async ({ page }) => {
  test.setTimeout(GENERATION_TIMEOUT * 2);
  const reference = await referenceContinuation();
  await openPlayground(page);
  await loadBundled(page, 'GGUF file');

  await page.getByLabel('Max tokens').fill('many');
  await page.getByRole('button', { name: 'Generate' }).click();
  const maxTokens = page.getByLabel('Max tokens');
  await expect(maxTokens).toHaveAttribute('aria-invalid', 'true');
  const describedBy = await maxTokens.getAttribute('aria-describedby');
  await expect(page.locator(`#${describedBy}`)).toHaveText('Enter a number.');
  await expect(statusOf(panel(page, 'Output'))).toHaveText('Idle');

  await generateGreedy(page, 'Once upon a time', 2000);
  await expect(maxTokens).not.toHaveAttribute('aria-invalid');
  const output = panel(page, 'Output');
  const text = output.getByRole('status', { name: 'Generated text' });
  // Stop once a few tokens have streamed in, well before the 2000 asked for.
  await expect(text).toHaveText(/\S.{8,}/, { timeout: GENERATION_TIMEOUT });
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(statusOf(output)).toHaveText('Stopped', { timeout: GENERATION_TIMEOUT });

  const stats = output.locator('dl[aria-label="Run figures"]');
  await expect(fact(stats, 'Stop reason')).toHaveText('stopped by you');
  const made = Number((await fact(stats, 'Tokens').innerText()).split(' / ')[0].replace(/,/g, ''));
  expect(made).toBeGreaterThan(0);
  expect(made).toBeLessThan(2000);
  // The text so far stays, and greedy decoding makes it a prefix of (or a continuation past) the reference.
  const kept = (await text.textContent()) ?? '';
  expect(kept.length).toBeGreaterThan(0);
  expect(reference.startsWith(kept) || kept.startsWith(reference)).toBe(true);
  await expect(page.getByRole('button', { name: 'Generate' })).toBeEnabled();
});
