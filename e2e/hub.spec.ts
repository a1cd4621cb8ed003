/**
 * Models from the Hub, against the built studio and a loopback test hub (e2e/support/test-hub.ts) serving
 * ../shared/models/stories260K in the Hub's layout. The preview server's CSP allows that hub only because
 * playwright.config.ts says so; the fixture checks that no request goes anywhere else.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { TEST_HUB_ORIGIN, TEST_HUB_PORT } from './support/hub-origin';
import { TestHub } from './support/test-hub';

const MODELS = resolve('../shared/models/stories260K');
const MODELS_README = resolve('../shared/models/README.md');
const GGUF = join(MODELS, 'stories260K.gguf');
const SCREENSHOT = resolve('docs/screenshots/hub.png');
/** Loading stories260K onto SwiftShader takes seconds; the margin is for a busy shared machine. */
const LOAD_TIMEOUT = 120_000;

const hub = new TestHub({
  'webtune-test/stories260K': { dir: MODELS },
  'webtune-test/no-tokenizer': { dir: join(MODELS, 'hf'), without: ['tokenizer.json'] },
});

test.beforeAll(() => hub.start(TEST_HUB_PORT));
test.afterAll(() => hub.stop());
test.beforeEach(() => {
  hub.clearLog();
  hub.setPace(null);
});

function region(page: Page, name: string): Locator {
  return page.getByRole('region', { name, exact: true });
}

const modelStatus = (page: Page) => region(page, 'Model').locator('.panel-head').getByRole('status');

async function openPlayground(page: Page): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/#playground');
  await expect(region(page, 'Hugging Face Hub')).toBeVisible();
}

/** Fills the "Any repository" form against the test hub; `file` for a GGUF, `folder` (maybe '') for a folder. */
async function fillForm(page: Page, repo: string, what: { file: string } | { folder: string }): Promise<void> {
  const hubPanel = region(page, 'Hugging Face Hub');
  const more = hubPanel.locator('details.hub-more');
  if (!(await more.evaluate((d) => (d as HTMLDetailsElement).open))) await more.locator('summary').click();
  await hubPanel.getByLabel('Hub address', { exact: true }).fill(TEST_HUB_ORIGIN);
  await hubPanel.getByLabel('Repository', { exact: true }).fill(repo);
  if ('file' in what) {
    await hubPanel.getByLabel('GGUF file', { exact: true }).check();
    await hubPanel.getByLabel('File', { exact: true }).fill(what.file);
  } else {
    await hubPanel.getByLabel('Model folder', { exact: true }).check();
    await hubPanel.getByLabel('Folder', { exact: true }).fill(what.folder);
  }
}

/** The README's reference greedy continuation of "Once upon a time" (64 tokens), read at test time. */
async function referenceContinuation(): Promise<string> {
  const readme = await readFile(MODELS_README, 'utf8');
  const from = readme.indexOf('Once upon a time');
  const block = /```[^\n]*\n([\s\S]*?)\n```/.exec(readme.slice(from));
  if (from < 0 || !block) throw new Error(`${MODELS_README}: no fenced reference continuation after the prompt`);
  return block[1];
}

async function sha256OfCachedFile(page: Page, name: string): Promise<string> {
  return page.evaluate(async (fileName) => {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('hub-cache');
    for await (const folder of (root as unknown as { values(): AsyncIterable<FileSystemDirectoryHandle> }).values()) {
      try {
        const file = await (await folder.getFileHandle(fileName)).getFile();
        const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
        return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
      } catch {
        // Not in this entry.
      }
    }
    return 'not cached';
  }, `f-${encodeURIComponent(name)}`);
}

test('downloads a GGUF with progress, resumes a cut transfer with a Range request, then loads it from the cache offline and generates the reference text', async ({
  page,
  networkLog,
}, testInfo) => {
  // Downloads take seconds; the generation at the end compiles every kernel on SwiftShader (about a minute).
  test.setTimeout(LOAD_TIMEOUT * 3);
  const expected = createHash('sha256').update(await readFile(GGUF)).digest('hex');
  await openPlayground(page);
  const hubPanel = region(page, 'Hugging Face Hub');
  await expect(hubPanel.getByText('No models downloaded yet.')).toBeVisible();

  // Slow enough to watch, and cut a third of the way in.
  hub.setPace({ chunkBytes: 16 * 1024, delayMs: 50 });
  hub.cutNextTransfer('stories260K.gguf', 400_000);
  await fillForm(page, 'webtune-test/stories260K', { file: 'stories260K.gguf' });
  await hubPanel.getByRole('button', { name: 'Download and load' }).click();
  const bar = hubPanel.getByRole('progressbar');
  await expect(bar).toBeVisible();
  await expect(hubPanel.getByTestId('hub-progress-text')).toHaveText(/ of 1\.13 MiB \(\d+%\) · stories260K\.gguf/);
  await expect(hubPanel.getByTestId('hub-progress-text')).toContainText('resumed at');

  await expect(modelStatus(page)).toHaveText('Loaded', { timeout: LOAD_TIMEOUT });
  await expect(hubPanel.getByRole('status')).toHaveText('Downloaded webtune-test/stories260K · stories260K.gguf.');
  const facts = region(page, 'Model').locator('dl[aria-label="Loaded model"]');
  await expect(facts).toContainText('llama');
  // The model card's training-memory estimate, with the settings it assumes.
  await expect(region(page, 'Model').getByRole('list', { name: 'Training memory (estimate)' })).toContainText(
    'LoRA rank 8 on q,k,v,o,gate,up,down, 4 × 256 tokens, F32 base (defaults)',
  );

  // The first transfer was cut; the second asked for the rest only, and the file is byte-identical.
  const transfers = hub.requests.filter((r) => r.file === 'stories260K.gguf' && r.status !== 302);
  expect(transfers.map((r) => r.status)).toEqual([200, 206]);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(transfers[1].range ?? '')?.[1]);
  expect(resumedAt).toBeGreaterThan(0);
  expect(resumedAt).toBeLessThanOrEqual(400_000);
  expect(await sha256OfCachedFile(page, 'stories260K.gguf')).toBe(expected);
  // The request fixture saw the worker's requests to the hub (so it does check workers).
  expect(networkLog.some((url) => url.startsWith(`${TEST_HUB_ORIGIN}/webtune-test/stories260K/resolve/main/stories260K.gguf`))).toBe(true);

  const entry = hubPanel.getByRole('list', { name: 'Cached in this browser' }).getByRole('listitem');
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText('GGUF · 1.13 MiB');
  await mkdir(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: testInfo.outputPath('hub-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // A fresh page (new worker) loads the cached model, and nothing reaches the hub.
  await page.reload();
  hub.clearLog();
  await expect(entry).toHaveCount(1);
  await entry.getByRole('button', { name: 'Load webtune-test/stories260K · stories260K.gguf' }).click();
  await expect(modelStatus(page)).toHaveText('Loaded', { timeout: LOAD_TIMEOUT });
  // Asking to download it again finds it in the cache too.
  await fillForm(page, 'webtune-test/stories260K', { file: 'stories260K.gguf' });
  await hubPanel.getByRole('button', { name: 'Download and load' }).click();
  await expect(hubPanel.getByRole('status')).toContainText('was already cached: loaded without the network.');
  await expect(modelStatus(page)).toHaveText('Loaded', { timeout: LOAD_TIMEOUT });

  // The model loaded from the cache generates the reference text (the playground's greedy path).
  await page.getByLabel('Prompt', { exact: true }).fill('Once upon a time');
  await page.getByLabel('Greedy').check();
  await page.getByLabel('Max tokens').fill('64');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  const output = region(page, 'Output');
  await expect(output.locator('.panel-head').getByRole('status')).toHaveText('Done', { timeout: LOAD_TIMEOUT });
  expect(await output.getByRole('status', { name: 'Generated text' }).textContent()).toBe(await referenceContinuation());

  // The Train view offers the cached model as a base, and reads it from the cache (still no network).
  await page.goto('/#train');
  await page.getByRole('button', { name: 'Train webtune-test/stories260K · stories260K.gguf' }).click();
  await expect(page.getByTestId('train-base')).toContainText('5 layers, hidden 64', { timeout: LOAD_TIMEOUT });
  await expect(page.getByRole('button', { name: 'Use the bundled stories260K' })).toBeVisible();
  expect(hub.requests).toEqual([]);
});

test('a stopped download stays in the cache as incomplete, and Resume continues from its bytes', async ({ page }) => {
  test.setTimeout(LOAD_TIMEOUT * 2);
  const expected = createHash('sha256').update(await readFile(GGUF)).digest('hex');
  await openPlayground(page);
  const hubPanel = region(page, 'Hugging Face Hub');
  hub.setPace({ chunkBytes: 16 * 1024, delayMs: 100 });
  await fillForm(page, 'webtune-test/stories260K', { file: 'stories260K.gguf' });
  await hubPanel.getByRole('button', { name: 'Download and load' }).click();
  // Stop once some hundreds of KiB are in.
  await expect(hubPanel.getByTestId('hub-progress-text')).toHaveText(/^[1-9]\d\d(\.\d)? KiB of 1\.13 MiB/);
  await hubPanel.getByRole('button', { name: 'Stop download' }).click();
  await expect(hubPanel.getByRole('alert').getByRole('heading')).toHaveText('Download stopped');
  const entry = hubPanel.getByRole('list', { name: 'Cached in this browser' }).getByRole('listitem');
  await expect(entry).toContainText(/GGUF · incomplete: \d+(\.\d+)? KiB of 1\.13 MiB/);
  // An incomplete entry cannot be loaded, only resumed or deleted.
  await expect(entry.getByRole('button', { name: /^Load / })).toHaveCount(0);

  hub.setPace(null);
  hub.clearLog();
  await entry.getByRole('button', { name: 'Resume webtune-test/stories260K · stories260K.gguf' }).click();
  await expect(modelStatus(page)).toHaveText('Loaded', { timeout: LOAD_TIMEOUT });
  const transfers = hub.requests.filter((r) => r.file === 'stories260K.gguf' && r.status !== 302);
  expect(transfers.map((r) => r.status)).toEqual([206]);
  // A one-range Range header is CORS-safelisted: the resume needed no preflight (which the Hub's CDN redirects
  // would otherwise have to answer).
  expect(hub.requests.filter((r) => r.method === 'OPTIONS')).toEqual([]);
  expect(Number(/^bytes=(\d+)-$/.exec(transfers[0].range ?? '')?.[1])).toBeGreaterThan(100_000);
  expect(await sha256OfCachedFile(page, 'stories260K.gguf')).toBe(expected);
  await expect(entry).toContainText('GGUF · 1.13 MiB');
});

test('downloads a model folder, deletes cache entries, and names a missing repo, file or tokenizer', async ({ page }, testInfo) => {
  test.setTimeout(LOAD_TIMEOUT * 2);
  await openPlayground(page);
  const hubPanel = region(page, 'Hugging Face Hub');
  const problem = hubPanel.getByRole('alert');
  const cached = hubPanel.getByRole('list', { name: 'Cached in this browser' }).getByRole('listitem');

  await fillForm(page, 'webtune-test/stories260K', { folder: 'hf' });
  await hubPanel.getByRole('button', { name: 'Download and load' }).click();
  await expect(modelStatus(page)).toHaveText('Loaded', { timeout: LOAD_TIMEOUT });
  await expect(region(page, 'Model').getByText('Hugging Face', { exact: true })).toBeVisible();
  await expect(cached).toHaveCount(1);
  await expect(cached).toContainText('webtune-test/stories260K · hf/');
  await expect(cached).toContainText('HF folder');

  // The loaded model reads from its cached files, so its entry is kept until another model is loaded.
  await cached.getByRole('button', { name: 'Delete webtune-test/stories260K · hf/' }).click();
  await expect(hubPanel.getByRole('alert')).toContainText('This model is loaded; load another one before deleting it.');
  await expect(cached).toHaveCount(1);
  await region(page, 'Model').getByRole('button', { name: 'Load stories260K (GGUF file)' }).click();
  await expect(region(page, 'Model').locator('.model-name')).toContainText('stories260K.gguf', { timeout: LOAD_TIMEOUT });
  await cached.getByRole('button', { name: 'Delete webtune-test/stories260K · hf/' }).click();
  await expect(cached).toHaveCount(0);
  await expect(hubPanel.getByRole('alert')).toHaveCount(0);
  await expect(hubPanel.getByText('No models downloaded yet.')).toBeVisible();

  // No such repo: the hub answers 401 RepoNotFound, as huggingface.co does without a token.
  await fillForm(page, 'webtune-test/nope', { file: 'model.gguf' });
  await hubPanel.getByRole('button', { name: 'Download and load' }).click();
  await expect(problem.getByRole('heading')).toHaveText('Not found on the Hub');
  await expect(problem).toContainText('There is no repository webtune-test/nope on 127.0.0.1:');

  // A file the repo does not have.
  await fillForm(page, 'webtune-test/stories260K', { file: 'stories15M.gguf' });
  await hubPanel.getByRole('button', { name: 'Download and load' }).click();
  await expect(problem).toContainText('webtune-test/stories260K has no file stories15M.gguf at revision main.');

  // A folder without tokenizer.json: refused before the weights are fetched, and nothing is cached.
  hub.clearLog();
  await fillForm(page, 'webtune-test/no-tokenizer', { folder: '' });
  await hubPanel.getByRole('button', { name: 'Download and load' }).click();
  await expect(problem.getByRole('heading')).toHaveText('This model folder has no tokenizer');
  await expect(problem).toContainText('webtune-test/no-tokenizer has no tokenizer.json');
  expect(hub.requests.map((r) => r.file)).toEqual(['config.json', 'tokenizer.json']);
  await expect(hubPanel.getByText('No models downloaded yet.')).toBeVisible();

  // A bad repo id is refused beside its field, before any request.
  hub.clearLog();
  await hubPanel.getByLabel('Repository', { exact: true }).fill('just-a-name');
  await hubPanel.getByRole('button', { name: 'Download and load' }).click();
  await expect(hubPanel.getByLabel('Repository', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(hubPanel.locator('#hub-repo-note')).toContainText('owner/name');
  expect(hub.requests).toEqual([]);

  // The same folder dropped from disk without its tokenizer gets the loader's specific message.
  const folder = testInfo.outputPath('no-tokenizer');
  await mkdir(folder, { recursive: true });
  for (const name of ['config.json', 'model.safetensors', 'tokenizer_config.json']) await copyFile(join(MODELS, 'hf', name), join(folder, name));
  await page.getByLabel('Open model folder…').setInputFiles(folder);
  await expect(modelStatus(page)).toHaveText('Failed', { timeout: LOAD_TIMEOUT });
  await expect(region(page, 'Model').getByRole('alert')).toContainText('tokenizer.json is missing');
});

test('the header says training stays on this device, with the reason on keyboard focus', async ({ page }) => {
  await openPlayground(page);
  const badge = page.getByText('Training stays on this device — nothing is uploaded');
  const details = page.locator('#privacy-details');
  await expect(details).toBeHidden();
  await badge.focus();
  await expect(details).toBeVisible();
  await expect(details).toContainText('the page’s Content-Security-Policy blocks every other destination');
  await expect(badge).toHaveAttribute('aria-describedby', 'privacy-details');
});

/** The sources of a policy's connect-src directive. */
function connectSources(policy: string): string[] {
  const directive = policy.split(';').map((d) => d.trim()).find((d) => d.startsWith('connect-src '));
  return directive ? directive.split(/\s+/).slice(1) : [];
}

test('the studio may connect only to itself and the Hub; the test hub only through the test server’s header', async ({ page }) => {
  const hubHosts = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'];
  // The header vite preview sends (playwright.config.ts adds the loopback test hub for these tests only).
  const response = await page.goto('/#playground');
  expect(connectSources((await response!.allHeaders())['content-security-policy'] ?? '')).toEqual(["'self'", ...hubHosts, TEST_HUB_ORIGIN]);
  // The built page's own meta policy, for static hosts: no loopback hub in what ships.
  const html = await readFile(resolve(process.env.WEBTUNE_E2E_DIST ?? 'dist', 'index.html'), 'utf8');
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
  expect(connectSources((meta?.[1] ?? '').replaceAll('&#39;', "'"))).toEqual(["'self'", ...hubHosts]);
  expect(html).not.toContain('127.0.0.1');
});
