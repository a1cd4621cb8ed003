/**
 * The studio's e2e `test`. Every test fails if the page or its engine worker logs a console error or throws an
 * uncaught error (warnings are allowed: Chromium warns "No available adapters." when it has no GPU to offer), and
 * every request made by the page and its workers is intercepted and checked: it may go to the studio's own origin
 * or to the loopback test hub (e2e/support/test-hub.ts), nowhere else. A request elsewhere is aborted and fails the
 * test, naming it. (data: and blob: URLs never leave the browser and are not requests the network sees.)
 */
import { test as base, expect } from '@playwright/test';
import { TEST_HUB_ORIGIN } from './support/hub-origin';

export const test = base.extend<{ failOnConsoleErrors: void; networkLog: string[] }>({
  /** Every URL the page and its workers asked for during the test, in order (checked against the allowed origins). */
  networkLog: [
    async ({ context, baseURL }, use) => {
      const allowed = new Set([new URL(baseURL ?? 'http://127.0.0.1').origin, TEST_HUB_ORIGIN]);
      const log: string[] = [];
      const refused: string[] = [];
      // On the context, so pages opened by the test and their dedicated workers are covered too.
      await context.route('**/*', async (route) => {
        const url = route.request().url();
        log.push(url);
        const { protocol, origin } = new URL(url);
        if (protocol === 'data:' || protocol === 'blob:' || allowed.has(origin)) {
          await route.fallback();
          return;
        }
        refused.push(`${route.request().method()} ${url}`);
        await route.abort('blockedbyclient');
      });
      await use(log);
      await context.unrouteAll({ behavior: 'ignoreErrors' });
      expect(refused, `requests to origins other than ${[...allowed].join(' and ')}`).toEqual([]);
    },
    { auto: true },
  ],
  failOnConsoleErrors: [
    async ({ page }, use) => {
      const problems: string[] = [];
      // Console messages from the page's workers arrive on the page too; worker() tells them apart.
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console.error${message.worker() ? ' in worker' : ''}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
      await use();
      expect(problems, 'console errors or uncaught errors in the page').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
