/**
 * The studio's e2e `test`: every test fails if the page or its engine worker logs a console error or throws an
 * uncaught error. Warnings are allowed (Chromium warns "No available adapters." when it has no GPU to offer).
 */
import { test as base, expect } from '@playwright/test';

export const test = base.extend<{ failOnConsoleErrors: void }>({
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
