/**
 * The Adapters view in headless Chromium on WebGPU (SwiftShader), against the built studio. A PEFT adapter for
 * stories260K is written in Node at test time and imported through the page's folder picker; the downloads the
 * view hands out are read back in Node with the CLI's own readers (same weights; the merged model equal to the
 * bundled HF checkpoint's W + scale·B·A on a sample). The library lives in IndexedDB and OPFS, so reloads must keep
 * exactly what it lists.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { zipSync } from 'fflate';
import { expect, test } from './fixtures';
import {
  checkMergedModel,
  maxWeightDifference,
  readDownloadedAdapter,
  readMergedGguf,
  writeOtherBaseFixture,
  writePeftFixture,
} from './support/adapter-fixtures';

const SCREENSHOT = resolve('docs/screenshots/adapters.png');
/** Loading stories260K uploads it and builds its pipelines on SwiftShader: seconds, a minute on a busy machine. */
const LOAD_TIMEOUT = 150_000;
/** Imports and exports read and write a few hundred kilobytes; the margin is for a busy shared machine. */
const ACTION_TIMEOUT = 60_000;

const folderInput = (page: Page) => page.getByLabel('Choose an adapter folder');
const fileInput = (page: Page) => page.getByLabel('Choose an adapter .zip or .gguf file');
const table = (page: Page) => page.getByRole('table', { name: 'Adapter library' });
const rows = (page: Page) => table(page).locator('tbody tr[data-adapter-id]');
const importProblem = (page: Page) => page.getByRole('region', { name: 'Import an adapter' }).getByRole('alert');

function row(page: Page, name: string): Locator {
  return rows(page).filter({ has: page.getByRole('rowheader', { name, exact: true }) });
}

async function openAdapters(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Adapters' }).click();
  await expect(page.getByRole('heading', { name: 'Adapters', level: 2 })).toBeVisible();
}

async function loadStories(page: Page): Promise<void> {
  await page.goto('/#playground');
  const model = page.getByRole('region', { name: 'Model', exact: true });
  await model.getByRole('button', { name: 'Load stories260K (GGUF file)' }).click();
  await expect(model.locator('.panel-head').getByRole('status')).toHaveText('Loaded', { timeout: LOAD_TIMEOUT });
}

async function imported(page: Page, name: string): Promise<void> {
  await expect(page.getByRole('region', { name: 'Import an adapter' }).getByRole('status')).toHaveText(
    `Imported “${name}” into the library.`,
    { timeout: ACTION_TIMEOUT },
  );
}

/** Clicks an export button of a row and saves what the browser downloads under the test's output folder. */
async function download(page: Page, target: Locator, button: string, outDir: string): Promise<{ name: string; path: string }> {
  const started = page.waitForEvent('download', { timeout: ACTION_TIMEOUT });
  await target.getByRole('button', { name: button, exact: true }).click();
  const file = await started;
  const path = join(outDir, file.suggestedFilename());
  await file.saveAs(path);
  return { name: file.suggestedFilename(), path };
}

function cells(target: Locator): Locator {
  return target.locator('td');
}

test('import, list, export (PEFT, GGUF, merged), rename, delete and re-import against stories260K', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const outDir = testInfo.outputPath('files');
  await mkdir(outDir, { recursive: true });
  const { folder, adapter } = await writePeftFixture(outDir, 'moon-adapter');
  const otherBase = await writeOtherBaseFixture(outDir, 'tiny-llama-adapter');

  await page.emulateMedia({ colorScheme: 'light' });
  await loadStories(page);
  await openAdapters(page);
  await expect(page.getByTestId('adapter-library-empty')).toContainText('No adapters yet.');
  await expect(page.getByTestId('adapter-base-note')).toContainText('stories260K.gguf');

  // Import the folder as a user picking it would; the library lists it with its facts.
  await folderInput(page).setInputFiles(folder);
  await imported(page, 'moon-adapter');
  const moon = row(page, 'moon-adapter');
  await expect(cells(moon)).toHaveText(['stories260K', 'imported (PEFT)', '4 (α 8)', 'imported', '—', /^\d{4}-\d\d-\d\d \d\d:\d\d$/, /PEFT \.zip/]);
  await expect(page.getByTestId('adapter-count')).toHaveText('1 adapter');

  // An adapter for another base is refused, naming both, and nothing is added.
  await folderInput(page).setInputFiles(otherBase);
  await expect(importProblem(page)).toContainText('This adapter is for another base model');
  await expect(importProblem(page)).toContainText("'tiny-llama-test'");
  await expect(importProblem(page)).toContainText("'stories260K.gguf'");
  await expect(rows(page)).toHaveCount(1);

  // Exports: each download reads back in Node with the same weights.
  const peft = await download(page, moon, 'PEFT .zip', outDir);
  expect(peft.name).toBe('moon-adapter.zip');
  const fromZip = await readDownloadedAdapter(peft.path);
  expect(fromZip.format).toBe('peft');
  expect(fromZip.names).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors']);
  expect(maxWeightDifference(fromZip.adapter, adapter)).toBe(0);

  const gguf = await download(page, moon, 'GGUF', outDir);
  expect(gguf.name).toBe('moon-adapter.gguf');
  const fromGguf = await readDownloadedAdapter(gguf.path);
  expect(fromGguf.format).toBe('gguf');
  expect(fromGguf.adapter.config.base.architecture).toBe('llama');
  expect(maxWeightDifference(fromGguf.adapter, adapter)).toBe(0);

  // Merged exports, each the .zip of its folder: a Hugging Face folder (F32, so the weights compare exactly) and a
  // GGUF in the default Q8_0, whose row says which tensors could not be Q8_0.
  const mergedFormat = moon.getByLabel('Merged format for moon-adapter');
  await expect(mergedFormat).toHaveValue('gguf:q8_0');
  await mergedFormat.selectOption({ label: 'Hugging Face folder, F32' });
  const merged = await download(page, moon, 'Merged', outDir);
  expect(merged.name).toBe('moon-adapter-merged-hf-f32.zip');
  const check = await checkMergedModel(merged.path, adapter);
  testInfo.annotations.push({ type: 'merged', description: JSON.stringify(check) });
  expect(check.names).toEqual(['README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  expect(check.checked).toBeGreaterThan(100);
  expect(check.changed).toBeGreaterThan(10);
  expect(check.maxError).toBeLessThan(1e-5);
  await mergedFormat.selectOption({ label: 'GGUF Q8_0' });
  const mergedGguf = await download(page, moon, 'Merged', outDir);
  expect(mergedGguf.name).toBe('moon-adapter-merged-q8_0.zip');
  const gguf8 = await readMergedGguf(mergedGguf.path);
  expect(gguf8.names).toEqual(['Modelfile', 'README.md', 'moon-adapter.q8_0.gguf']);
  expect(gguf8.modelfile).toContain('FROM ./moon-adapter.q8_0.gguf');
  expect(gguf8.types).toMatchObject({ 'layers.0.attn_q': 'Q8_0', token_embd: 'Q8_0', 'layers.0.ffn_down': 'F16', 'layers.0.attn_norm': 'F32' });
  expect(gguf8.vocab).toBe(512);
  await expect(page.getByTestId('adapter-notice')).toContainText('Merged: GGUF Q8_0');
  await expect(page.getByTestId('adapter-notice')).toContainText('5 tensors (blk.0.ffn_down.weight, …) written as F16: rows of 172 values are not whole 32-value Q8_0 blocks');

  // Rename inline from the keyboard: an empty name is refused in place, Escape cancels, Enter saves.
  await moon.getByRole('button', { name: 'Rename' }).click();
  const nameField = page.getByLabel('New name for moon-adapter');
  await expect(nameField).toBeFocused();
  await nameField.fill('   ');
  await nameField.press('Enter');
  await expect(table(page).getByRole('alert')).toHaveText('Give the adapter a name (it cannot be empty).');
  await nameField.press('Escape');
  await expect(row(page, 'moon-adapter')).toHaveCount(1);
  await row(page, 'moon-adapter').getByRole('button', { name: 'Rename' }).click();
  await page.getByLabel('New name for moon-adapter').fill('moon stories');
  await page.getByLabel('New name for moon-adapter').press('Enter');
  const renamed = row(page, 'moon stories');
  await expect(renamed).toHaveCount(1);
  await page.reload();
  await expect(row(page, 'moon stories')).toHaveCount(1);
  await expect(row(page, 'moon-adapter')).toHaveCount(0);

  // Delete asks first; Cancel keeps it, Delete removes it, and a reload shows it is gone from storage too.
  await row(page, 'moon stories').getByRole('button', { name: 'Delete' }).click();
  const confirm = page.getByRole('group', { name: 'Confirm deleting moon stories' });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await row(page, 'moon stories').getByRole('button', { name: 'Delete' }).click();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId('adapter-library-empty')).toBeVisible({ timeout: ACTION_TIMEOUT });
  await page.reload();
  await expect(page.getByTestId('adapter-library-empty')).toBeVisible();

  // Re-import both exports (no base loaded after the reload: they are stored unchecked) and they list again.
  await expect(page.getByTestId('adapter-base-note')).toContainText('No base model is loaded');
  await fileInput(page).setInputFiles(peft.path);
  await imported(page, 'moon-adapter');
  await fileInput(page).setInputFiles(gguf.path);
  await imported(page, 'moon-adapter');
  await expect(rows(page)).toHaveCount(2);
  await expect(rows(page).nth(0).locator('td').nth(1)).toHaveText('imported (GGUF)');
  await expect(rows(page).nth(1).locator('td').nth(1)).toHaveText('imported (PEFT)');
  await page.reload();
  await expect(rows(page)).toHaveCount(2);
  // Both re-imports export the weights they were given.
  const again = await download(page, rows(page).nth(0), 'PEFT .zip', outDir);
  expect(maxWeightDifference((await readDownloadedAdapter(again.path)).adapter, adapter)).toBe(0);

  // Merging needs the base's weights: without a loaded base the row says so.
  await rows(page).nth(1).getByRole('button', { name: 'Merged' }).click();
  await expect(table(page).getByRole('alert')).toContainText('No base model is loaded');

  // The README's picture: the library as a reload leaves it, both re-imports listed.
  await page.reload();
  await expect(rows(page)).toHaveCount(2);
  await mkdir(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});

test('bad files get specific messages and leave nothing in the library', async ({ page }, testInfo) => {
  const outDir = testInfo.outputPath('files');
  await mkdir(outDir, { recursive: true });
  const { folder } = await writePeftFixture(outDir, 'moon-adapter');
  const configOnly = join(outDir, 'config-only');
  await mkdir(configOnly, { recursive: true });
  await writeFile(join(configOnly, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 4, target_modules: ['q_proj'] }));

  // The dark theme here (the other test shows the light one); its screenshot stays with the test's output.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/#adapters');
  await expect(page.getByTestId('adapter-library-empty')).toBeVisible();
  const junk = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) & 255));
  const give = (name: string, buffer: Buffer) => fileInput(page).setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
  const refused = async (title: string, message: string | RegExp) => {
    await expect(importProblem(page).getByRole('heading')).toHaveText(title, { timeout: ACTION_TIMEOUT });
    await expect(importProblem(page).locator('.inline-problem-message')).toHaveText(message);
  };

  await give('junk.bin', junk);
  await refused('This is not an adapter webtune can read', /^junk\.bin is not an adapter file: it is neither a \.zip archive nor a GGUF file\./);
  await give('junk.gguf', junk);
  await refused('This is not an adapter webtune can read', /^junk\.gguf: /);
  await give('empty.zip', Buffer.alloc(0));
  await refused('This is not an adapter webtune can read', /^empty\.zip is empty \(0 bytes\)/);
  await give('notes.zip', Buffer.from(zipSync({ 'notes/README.md': new TextEncoder().encode('not an adapter') })));
  await refused('This is not an adapter webtune can read', /^notes\.zip: is not a LoRA adapter: expected adapter_config\.json .*found files README\.md$/);
  // A model given where an adapter is wanted.
  await fileInput(page).setInputFiles('public/models/stories260K/stories260K.gguf');
  await refused('This is not an adapter webtune can read', /^stories260K\.gguf: general\.type is .*expected 'adapter' \(a model file, not a LoRA\?\)$/);
  await folderInput(page).setInputFiles(configOnly);
  await refused('This is not an adapter webtune can read', "config-only has adapter_config.json but no adapter_model.safetensors: the adapter's weights are missing.");

  // Nothing half-made was stored: the library is still empty after a reload, and a good import still works.
  await page.reload();
  await expect(page.getByTestId('adapter-library-empty')).toBeVisible();
  // A dropped .zip (the drop zone's path for files; folders arrive as directory entries).
  const zip = zipSync({
    'adapter_config.json': new Uint8Array(await readFile(join(folder, 'adapter_config.json'))),
    'adapter_model.safetensors': new Uint8Array(await readFile(join(folder, 'adapter_model.safetensors'))),
  });
  await page.getByTestId('adapter-drop-zone').evaluate((zone, bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.zip', { type: 'application/zip' }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, [...zip]);
  await imported(page, 'dropped');
  await expect(rows(page)).toHaveCount(1);
  await page.screenshot({ path: testInfo.outputPath('adapters-dark.png'), fullPage: true });
});
