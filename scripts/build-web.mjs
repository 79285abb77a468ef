#!/usr/bin/env node
// Builds the storefront and the console (web/) into dist/web/ with Vite: the browser's assets, each
// also precompressed (brotli, gzip), and the storefront's server renderer. Skipped when nothing it is
// built from changed since the last build (a hash of web/ and the lockfile), so `npm start` and
// `npm test` call it every time. `--force` builds anyway.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'web');
const out = join(root, 'dist', 'web');
const stamp = join(out, 'built-from');

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

function sourceHash() {
  const hash = createHash('sha256');
  for (const path of [
    ...files(web),
    join(root, 'package-lock.json'),
    fileURLToPath(import.meta.url),
  ].sort()) {
    hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}

const wanted = sourceHash();
if (!process.argv.includes('--force') && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted)
  process.exit(0);

const { build } = await import('vite');
const configFile = join(web, 'vite.config.ts');
const started = Date.now();
await build({ configFile, logLevel: 'warn' });
await build({
  configFile,
  logLevel: 'warn',
  build: {
    ssr: join(web, 'src/storefront/ssr.tsx'),
    outDir: join(out, 'server'),
    emptyOutDir: true,
    copyPublicDir: false,
  },
});

let raw = 0;
let brotli = 0;
for (const path of files(join(out, 'client', 'assets'))) {
  if (!/\.(js|css|svg|json|txt)$/.test(path)) continue;
  const content = readFileSync(path);
  const br = brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(`${path}.br`, br);
  writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }));
  raw += statSync(path).size;
  brotli += br.length;
}
writeFileSync(stamp, wanted);
console.log(
  `web: built in ${((Date.now() - started) / 1000).toFixed(1)} s; assets ${(raw / 1024).toFixed(1)} KB, ` +
    `${(brotli / 1024).toFixed(1)} KB brotli (dist/web)`,
);
