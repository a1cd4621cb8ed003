/**
 * Hostile files in the studio: fuzzed files of every kind (the fuzzer's own cases, src/fuzz) are given to the
 * Datasets view, the Playground's model pickers and the Adapters view. Each must be refused with the message the
 * same reader gives in Node, with no console error and nothing added to the library; then the studio trains on the
 * bundled model and exports the adapter as if nothing had happened.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { readUploadedAdapter } from '../src/library/adapter-upload';
import { parseDatasetBlob } from '../src/data/read';
import { makeCase } from '../src/fuzz/cases';
import { fuzzTarget } from '../src/fuzz/targets';
import { loadGgufModel, loadHfModel } from '../src/model/load';
import { bytesSource } from '../src/model/source';
import { expect, test } from './fixtures';
import { readDownloadedAdapter, STORIES_HF } from './support/adapter-fixtures';

test.use({ trace: 'off' });
/** The first training step compiles every training kernel on SwiftShader (see train.spec.ts). */
const FIRST_STEP_TIMEOUT = 240_000;
const ACTION_TIMEOUT = 60_000;
const PER_KIND = 2;
const SEED = 7;
const HF_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json'];

interface Hostile {
  name: string;
  bytes: Uint8Array;
  /**
   * The refusal's problem as the Node reader words it (the page must show it beside the file's name): after the
   * file's name, before any parenthesis (where the browser's own TextDecoder or JSON message may differ from Node's).
   */
  message: string;
}

/**
 * The first `PER_KIND` cases of a fuzz target that `refuse` turns down, named `name`, with the start of each
 * message (messages can quote long stretches of the file).
 */
async function refusedCases(target: string, name: string, refuse: (bytes: Uint8Array) => Promise<unknown>): Promise<Hostile[]> {
  const t = fuzzTarget(target);
  const seeds = await t.seeds();
  const out: Hostile[] = [];
  for (let index = 0; out.length < PER_KIND && index < 500; index++) {
    const { bytes, seed } = await makeCase(t, seeds, SEED, index);
    // Mutations of the JSON files belong to the folder target only; model.safetensors is what this test gives.
    if (target === 'safetensors' && seed === null) continue;
    const message = await refuse(bytes).then(
      () => null,
      (error: Error) => error.message,
    );
    const problem = message?.split('\n')[0].replace(/^[^:]*: /, '').split(' (')[0].slice(0, 70).trim();
    if (problem && problem.length > 8) out.push({ name, bytes, message: problem });
  }
  expect(out, `${PER_KIND} refused ${target} cases`).toHaveLength(PER_KIND);
  return out;
}

const CONTAINERS = ['jsonl', 'json', 'csv', 'tsv', 'parquet', 'txt'];

async function hfFolderWith(dir: string, weights: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const file of HF_FILES) await writeFile(join(dir, file), await readFile(join(STORIES_HF, file)));
  await writeFile(join(dir, 'model.safetensors'), weights);
  return dir;
}

async function hfFiles(dir: string) {
  const files = new Map<string, ReturnType<typeof bytesSource>>();
  for (const file of [...HF_FILES, 'model.safetensors']) files.set(file, bytesSource(new Uint8Array(await readFile(join(dir, file))), file));
  return files;
}

async function refusedIn(alert: ReturnType<Page['getByRole']>, hostile: Hostile): Promise<void> {
  await expect(alert).toContainText(hostile.message, { timeout: ACTION_TIMEOUT });
  await expect(alert).toContainText(hostile.name);
}

test('fuzzed datasets, models and adapters are refused by name, and then a run trains and exports', async ({ page }, testInfo) => {
  test.setTimeout(FIRST_STEP_TIMEOUT + 300_000);
  const outDir = testInfo.outputPath('files');
  await mkdir(outDir, { recursive: true });

  // Datasets: every container, as the Datasets view reads a picked file.
  await page.goto('/#datasets');
  await expect(page.getByRole('heading', { name: 'Datasets', level: 2 })).toBeVisible();
  const datasetProblem = page.getByRole('alert').filter({ hasText: 'This file cannot be used' });
  for (const container of CONTAINERS) {
    const name = `fuzz.${container}`;
    const cases = await refusedCases(container, name, (bytes) => parseDatasetBlob(new Blob([bytes as Uint8Array<ArrayBuffer>]), { file: name }));
    for (const hostile of cases) {
      await page.getByLabel('Choose a dataset file').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(hostile.bytes) });
      await refusedIn(datasetProblem, hostile);
    }
  }

  // Models: a GGUF file and a Hugging Face folder whose model.safetensors is fuzzed.
  await page.goto('/#playground');
  const model = page.getByRole('region', { name: 'Model', exact: true });
  for (const hostile of await refusedCases('gguf-model', 'fuzz.gguf', (bytes) => loadGgufModel(bytesSource(bytes, 'fuzz.gguf')))) {
    await page.getByLabel('Open .gguf file…').setInputFiles({ name: hostile.name, mimeType: 'application/octet-stream', buffer: Buffer.from(hostile.bytes) });
    await refusedIn(model.getByRole('alert'), hostile);
  }
  // The folder's name labels some messages, so Node reads a folder of the same name the page is given.
  let folders = 0;
  const safetensors = await refusedCases('safetensors', 'model.safetensors', async (bytes) => {
    const dir = await hfFolderWith(join(outDir, `check-${folders++}`, 'fuzz-folder'), bytes);
    return loadHfModel(await hfFiles(dir), 'fuzz-folder');
  });
  for (const [i, hostile] of safetensors.entries()) {
    const dir = await hfFolderWith(join(outDir, `give-${i}`, 'fuzz-folder'), hostile.bytes);
    await page.getByLabel('Open model folder…').setInputFiles(dir);
    await refusedIn(model.getByRole('alert'), hostile);
  }

  // Adapters: PEFT .zips and GGUF LoRAs, with no base loaded (as the Adapters view reads them then).
  await page.goto('/#adapters');
  await expect(page.getByTestId('adapter-library-empty')).toBeVisible();
  const importProblem = page.getByRole('region', { name: 'Import an adapter' }).getByRole('alert');
  const adapterCases = [
    ...(await refusedCases('peft-zip', 'fuzz.zip', (bytes) => readUploadedAdapter([{ path: 'fuzz.zip', source: bytesSource(bytes, 'fuzz.zip') }], 'fuzz.zip'))),
    ...(await refusedCases('gguf-lora', 'fuzz.gguf', (bytes) => readUploadedAdapter([{ path: 'fuzz.gguf', source: bytesSource(bytes, 'fuzz.gguf') }], 'fuzz.gguf'))),
  ];
  for (const hostile of adapterCases) {
    await page.getByLabel('Choose an adapter .zip or .gguf file').setInputFiles({ name: hostile.name, mimeType: 'application/octet-stream', buffer: Buffer.from(hostile.bytes) });
    await refusedIn(importProblem, hostile);
  }
  // Nothing half-made was stored.
  await page.reload();
  await expect(page.getByTestId('adapter-library-empty')).toBeVisible();

  // The same tab then trains on the bundled model and sample dataset, stops keeping the adapter, and exports it.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Train' }).click();
  await expect(page.getByTestId('train-memory')).toContainText('Estimated GPU memory', { timeout: ACTION_TIMEOUT });
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect
    .poll(async () => Number(await page.getByTestId('train-step').textContent()), { timeout: FIRST_STEP_TIMEOUT, intervals: [1000] })
    .toBeGreaterThanOrEqual(2);
  await page.getByRole('button', { name: 'Stop and keep the adapter' }).click();
  await expect(page.getByTestId('train-status')).toHaveText('Stopped', { timeout: ACTION_TIMEOUT * 2 });
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Adapters' }).click();
  const rows = page.getByRole('table', { name: 'Adapter library' }).locator('tbody tr[data-adapter-id]');
  await expect(rows).toHaveCount(1);
  const started = page.waitForEvent('download', { timeout: ACTION_TIMEOUT });
  await rows.first().getByRole('button', { name: 'PEFT .zip', exact: true }).click();
  const file = await started;
  const path = resolve(outDir, file.suggestedFilename());
  await file.saveAs(path);
  const exported = await readDownloadedAdapter(path);
  expect(exported.format).toBe('peft');
  expect(exported.adapter.config.baseModel).toContain('stories260K');
});
