/** The studio on WebGPU (SwiftShader in CI): the adapter panel shows what the engine worker's device got. */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';

/** The README's screenshot, refreshed by every run. */
const README_SCREENSHOT = resolve('docs/screenshots/studio.png');

function fact(panel: Locator, term: string): Locator {
  return panel.locator('dl.facts > div').filter({ has: panel.page().getByText(term, { exact: true }) }).locator('dd');
}

async function openReadyStudio(page: Page): Promise<Locator> {
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Adapter' });
  await expect(panel.getByRole('status')).toHaveText('Ready');
  return panel;
}

test('shows the WebGPU adapter, its features and limits', async ({ page }, testInfo) => {
  await page.emulateMedia({ colorScheme: 'light' });
  const panel = await openReadyStudio(page);
  await expect(page.getByText('Training stays on this device')).toBeVisible();

  const vendor = (await fact(panel, 'Vendor').innerText()).trim();
  const architecture = (await fact(panel, 'Architecture').innerText()).trim();
  testInfo.annotations.push({ type: 'adapter', description: `${vendor} / ${architecture}` });
  expect(`${vendor} ${architecture}`).toMatch(/[a-z]/i);
  expect(vendor).not.toBe('unknown');
  await expect(fact(panel, 'Fallback adapter')).toHaveText(/^(Yes|No)/);

  const limitRow = panel.getByRole('row').filter({ hasText: 'maxStorageBufferBindingSize' });
  const limitCell = limitRow.getByRole('cell');
  await expect(limitCell).toHaveText(/^\d+(\.\d+)? (B|KiB|MiB|GiB|TiB)$/);
  const exactBytes = Number((await limitCell.getAttribute('title'))?.replace(/[^\d]/g, ''));
  expect(exactBytes).toBeGreaterThanOrEqual(128 * 1024 * 1024); // WebGPU's guaranteed minimum

  const optional = panel.getByRole('list', { name: 'Optional features' }).getByRole('listitem');
  await expect(optional).toHaveCount(3);
  await expect(optional.filter({ hasText: 'shader-f16' })).toHaveText(/granted|not offered/);
  const adapterFeatures = panel.getByRole('list', { name: /Adapter features/ }).getByRole('listitem');
  expect(await adapterFeatures.count()).toBeGreaterThan(0);

  const shot = await page.screenshot({ fullPage: true });
  await testInfo.attach('studio', { body: shot, contentType: 'image/png' });
  await mkdir(dirname(README_SCREENSHOT), { recursive: true });
  await page.screenshot({ path: README_SCREENSHOT, fullPage: true });
});

test('switches theme from the keyboard and remembers it', async ({ page }, testInfo) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await openReadyStudio(page);
  const toggle = page.getByRole('button', { name: 'Switch to dark theme' });
  for (let i = 0; i < 10 && !(await toggle.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(toggle).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByRole('button', { name: 'Switch to light theme' })).toBeFocused();
  await testInfo.attach('studio-dark', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});
