/**
 * Where the e2e test hub listens: shared by playwright.config.ts (which lets the preview server's CSP reach it),
 * the request fixture (which allows it) and the hub spec (which starts it). Loopback only.
 */
export const TEST_HUB_PORT = Number(process.env.WEBTUNE_E2E_HUB_PORT ?? 4191);
export const TEST_HUB_ORIGIN = `http://127.0.0.1:${TEST_HUB_PORT}`;
