/**
 * A Hugging Face folder as the Train view's base (issue 11): stories260K's hf/ folder picked in the base picker
 * (a dropped file that is no model refused there first; Playwright cannot drop a real folder's directory entries),
 * read in the worker (its architecture shown, the memory estimate made), trained a few steps, cut off by a reload,
 * resumed after the folder is given again (a different folder is refused by the base check and leaves the run
 * resumable), and finished with its adapter in the library.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const HF_FOLDER = resolve('../shared/models/stories260K/hf');

// Playwright's trace snapshots the whole page at each action, which over a run costs more than it tells.
test.use({ trace: 'off' });
/** The first step compiles every training kernel on SwiftShader (~80 s on a quiet machine; this one is shared). */
const FIRST_STEP_TIMEOUT = 240_000;

async function stepOf(page: Page): Promise<number> {
  return Number(await page.getByTestId('train-step').textContent());
}

async function adapterRuns(page: Page): Promise<(string | undefined)[]> {
  return page.evaluate(
    () =>
      new Promise<(string | undefined)[]>((done, fail) => {
        const open = indexedDB.open('webtune-adapters');
        open.onerror = () => fail(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('adapters').objectStore('adapters').getAll();
          all.onsuccess = () => done(all.result.map((r: { runId?: string }) => r.runId));
          all.onerror = () => fail(all.error);
        };
      }),
  );
}

test('a picked Hugging Face folder trains, resumes after a reload once given again, and leaves an adapter', async ({ page }, testInfo) => {
  test.setTimeout(2 * FIRST_STEP_TIMEOUT + 120_000);
  await page.goto('/#train');
  await expect(page.getByRole('heading', { name: 'Train', level: 2 })).toBeVisible();

  // What is dropped on the base picker is read as the Playground reads it: a file that is no model is refused.
  const transfer = await page.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(['a,b\n1,2\n'], 'table.csv', { type: 'text/csv' }));
    return data;
  });
  await page.getByTestId('train-base-drop').dispatchEvent('drop', { dataTransfer: transfer });
  await expect(page.getByTestId('train-base-problem')).toContainText('table.csv is not a model file');

  // The folder picker hands over the folder's files; the worker reads its config and tokenizer.
  await page.getByLabel('Choose a base model folder').setInputFiles(HF_FOLDER);
  await expect(page.getByTestId('train-base')).toContainText('hf · 5 layers, hidden 64, f32', { timeout: 60_000 });
  await expect(page.getByTestId('train-memory')).toContainText('Estimated GPU memory');

  // A short run with a checkpoint every 2 steps, so a reload has something to resume from.
  await page.getByLabel('Max steps').fill('6');
  await page.getByText('Advanced').click();
  await page.getByLabel('Checkpoint every').fill('2');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByTestId('train-status')).toHaveText('Running', { timeout: 60_000 });
  await expect(page.locator('.train-run-facts')).toContainText('on hf');
  await expect.poll(() => stepOf(page), { timeout: FIRST_STEP_TIMEOUT, intervals: [1000] }).toBeGreaterThanOrEqual(3);

  // The page forgets the folder on reload: Resume asks for it again.
  await page.reload();
  await expect(page.getByTestId('train-status')).toHaveText('Interrupted');
  const runPanel = page.locator('section.train-run');
  const again = runPanel.getByLabel('Choose the folder hf again to resume');
  await expect(again).toBeVisible();
  await expect(runPanel.getByRole('button', { name: /^Resume/ })).toHaveCount(0);
  // The history's Resume, without the folder, says what is needed.
  await page.getByRole('table').filter({ hasText: 'interrupted' }).getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('train-resume-refusal')).toContainText('This run trained on the folder hf, which you opened');

  // Another folder (the same files under another name) is not the run's base: refused, the run still resumable.
  const other = testInfo.outputPath('other');
  await mkdir(other, { recursive: true });
  for (const name of await readdir(HF_FOLDER)) await copyFile(join(HF_FOLDER, name), join(other, name));
  await again.setInputFiles(other);
  await expect(page.getByTestId('train-problem')).toContainText('This run was trained on hf', { timeout: 60_000 });
  await expect(page.getByTestId('train-problem')).toContainText('the base given is other');
  await expect(page.getByTestId('train-status')).toHaveText('Interrupted');

  // The right folder: the run continues from its checkpoint to the end.
  await again.setInputFiles(HF_FOLDER);
  await expect(page.getByTestId('train-status')).toHaveText('Running', { timeout: 60_000 });
  await expect(page.getByTestId('train-status')).toHaveText('Finished', { timeout: FIRST_STEP_TIMEOUT });
  expect(await stepOf(page)).toBe(6);
  await expect(page.getByTestId('train-outcome')).toContainText('The adapter');
  expect((await adapterRuns(page)).filter((id) => id?.startsWith('r-'))).toHaveLength(1);
});
