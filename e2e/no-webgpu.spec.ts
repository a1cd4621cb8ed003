/**
 * The studio where WebGPU cannot work, in a real browser rather than a mocked API. This project's Chromium runs
 * with hardware acceleration off and no SwiftShader opt-in (see playwright.config.ts), so it offers no adapter.
 */
import { expect, test } from './fixtures';

test('explains that no GPU adapter was offered', async ({ page }, testInfo) => {
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Adapter' });
  await expect(panel.getByRole('status')).toHaveText('Unavailable');
  const problem = panel.getByRole('alert');
  await expect(problem.getByRole('heading', { name: 'No GPU adapter was offered' })).toBeVisible();
  await expect(problem).toContainText('chrome://gpu');
  await expect(problem).toContainText('chrome://flags/#enable-unsafe-webgpu');
  await testInfo.attach('no-adapter', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

  // Trying again starts a fresh engine worker, which meets the same missing adapter.
  await problem.getByRole('button', { name: 'Try again' }).click();
  await expect(panel.getByRole('heading', { name: 'No GPU adapter was offered' })).toBeVisible();
  await expect(panel.getByRole('status')).toHaveText('Unavailable');
});

test('explains a page that has no WebGPU at all (opened from a non-secure origin)', async ({ page, baseURL }) => {
  // Browsers give navigator.gpu only to secure contexts, in pages and workers alike. A plain-HTTP host that is not
  // localhost is not one; its requests are answered by the test server.
  const served = new URL(baseURL ?? '');
  const insecure = new URL(served.href);
  insecure.hostname = 'webtune.test';
  await page.route(`${insecure.origin}/**`, async (route) => {
    const url = new URL(route.request().url());
    url.host = served.host;
    await route.fulfill({ response: await route.fetch({ url: url.href }) });
  });

  await page.goto(insecure.href);
  expect(await page.evaluate(() => ({ secure: isSecureContext, gpu: 'gpu' in navigator }))).toEqual({
    secure: false,
    gpu: false,
  });
  const panel = page.getByRole('region', { name: 'Adapter' });
  await expect(panel.getByRole('status')).toHaveText('Unavailable');
  await expect(panel.getByRole('heading', { name: 'WebGPU needs a secure page' })).toBeVisible();
  await expect(panel.getByRole('alert')).toContainText('localhost');
});
