import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { benchLibraryGuard, initialJsBudget } from './scripts/bundle-budget.ts';

/**
 * Where the studio may connect: its own origin, and the Hugging Face Hub for model downloads. huggingface.co
 * answers `/resolve/` with a redirect to its file hosts, and CSP checks every hop: today cdn-lfs*.huggingface.co,
 * cdn-lfs*.hf.co, cas-bridge.xethub.hf.co and the *.cdn.hf.co edges (the Hub's own list of download hosts,
 * huggingface/hub-docs#2628). `https://*.hf.co` and `https://*.huggingface.co` cover those and the next ones.
 */
const HUB_HOSTS = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'];

/**
 * The e2e test hub (e2e/support/test-hub.ts) on loopback, set by playwright.config.ts for the preview server it
 * starts. Only a plain http://127.0.0.1:<port> or http://localhost:<port> origin is accepted, and it only reaches the
 * preview server's header: the built files (and their meta tag) never name it.
 */
function testHubOrigin(): string | null {
  const value = process.env.WEBTUNE_TEST_HUB_ORIGIN;
  if (!value) return null;
  if (!/^http:\/\/(127\.0\.0\.1|localhost):\d{2,5}$/.test(value)) {
    throw new Error(`WEBTUNE_TEST_HUB_ORIGIN must be http://127.0.0.1:<port>, not ${value}`);
  }
  return value;
}

function contentSecurityPolicy(extraConnect: string[], forMetaTag: boolean): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    ['connect-src', "'self'", ...HUB_HOSTS, ...extraConnect].join(' '),
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    // Browsers ignore frame-ancestors in a meta tag and log an error for it: headers only.
    ...(forMetaTag ? [] : ["frame-ancestors 'none'"]),
  ].join('; ');
}

/**
 * The same policy as a meta tag in the built index.html, for static hosts that cannot send headers (it covers the
 * page; the worker takes its policy from its own response, so there the header is what counts). Build only: the
 * dev server's React refresh needs an inline script.
 */
function cspMetaTag(): Plugin {
  return {
    name: 'webtune:csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy([], true) }, injectTo: 'head-prepend' },
    ],
  };
}

const testHub = testHubOrigin();

export default defineConfig({
  plugins: [react(), cspMetaTag(), initialJsBudget(), benchLibraryGuard()],
  // Module workers, so the engine worker can share ES-module code (and `?raw` WGSL imports) with the rest.
  worker: { format: 'es', plugins: () => [benchLibraryGuard()] },
  build: { outDir: 'dist', target: 'es2022', sourcemap: true },
  server: { port: 5173 },
  // Sent as a header so the worker is covered too (`npm start` serves the studio with it).
  preview: { port: 5173, headers: { 'Content-Security-Policy': contentSecurityPolicy(testHub ? [testHub] : [], false) } },
});
