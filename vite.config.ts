import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * What `npm start` (vite preview) serves the studio with: the page and its worker may load code and data only from
 * their own origin, so nothing can be sent elsewhere. Sent as a header (not a meta tag) so the worker is covered too.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export default defineConfig({
  plugins: [react()],
  // Module workers, so the engine worker can share ES-module code (and `?raw` WGSL imports) with the rest.
  worker: { format: 'es' },
  build: { outDir: 'dist', target: 'es2022', sourcemap: true },
  server: { port: 5173 },
  preview: { port: 5173, headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY } },
});
