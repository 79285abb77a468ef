import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const web = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Two pages (the storefront at `/`, the console at `/console`) and, with `--ssr`, the storefront's
 * server renderer. Built by `scripts/build-web.mjs` into `dist/web/`; the platform serves it
 * (src/api/web.ts). No inline script or style, so the site's content security policy holds.
 */
export default defineConfig({
  root: web('.'),
  base: '/',
  publicDir: web('public'),
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: web('../dist/web/client'),
    emptyOutDir: true,
    target: 'es2022',
    // The modulepreload polyfill is an inline script in older browsers' eyes: every browser we serve has it.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: {
      input: { storefront: web('index.html'), console: web('console/index.html') },
    },
  },
});
