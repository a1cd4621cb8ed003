import { defineConfig } from '@playwright/test';
import { CHROMIUM, NO_WEBGPU, QUIET, SWIFTSHADER_WEBGPU } from './e2e/support/chromium';
import { TEST_HUB_ORIGIN } from './e2e/support/hub-origin';

/** Port of the built studio under test; not 5173, so the tests never talk to a studio started by hand. */
export const E2E_PORT = Number(process.env.WEBTUNE_E2E_PORT ?? 4173);

/** The built studio under test (`vite build --outDir <it>`); settable so several builds can be tested side by side. */
const E2E_DIST = process.env.WEBTUNE_E2E_DIST ?? 'dist';

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  outputDir: process.env.WEBTUNE_E2E_RESULTS ?? 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    // A 13-inch laptop's usual CSS viewport.
    viewport: { width: 1280, height: 800 },
    headless: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'webgpu',
      testIgnore: /no-webgpu\.spec\.ts/,
      use: { launchOptions: { executablePath: CHROMIUM, args: [...SWIFTSHADER_WEBGPU, ...QUIET] } },
    },
    {
      name: 'no-webgpu',
      testMatch: /no-webgpu\.spec\.ts/,
      use: { launchOptions: { executablePath: CHROMIUM, args: [...NO_WEBGPU, ...QUIET] } },
    },
  ],
  webServer: {
    command: `npx vite preview --outDir ${E2E_DIST} --host 127.0.0.1 --port ${E2E_PORT} --strictPort`,
    url: `http://127.0.0.1:${E2E_PORT}`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    // The preview server's CSP lets the studio reach the loopback test hub of e2e/hub.spec.ts; builds never do.
    env: { WEBTUNE_TEST_HUB_ORIGIN: TEST_HUB_ORIGIN },
  },
});
