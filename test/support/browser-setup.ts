// Global setup of the `web` test project (vitest.config.ts): the end-to-end tests in test/web/ share
// one Chromium per test run. It builds the pages (skipped when nothing changed), makes sure Debian's
// Chromium is there (installing it like `scripts/services.mjs up chromium` when it is not), launches
// it once as a server and hands its WebSocket endpoint to the test files, which connect to it and
// each use browser contexts of their own. Only a run that includes test/web/ pays for this.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { CHROMIUM_FLAGS, ensureChromium } from '../../scripts/services/chromium.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the shared Chromium listens (playwright's `chromium.connect`). */
    browserWsEndpoint: string;
  }
}

const root = fileURLToPath(new URL('../..', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // `npm test` builds them before vitest starts; a run of `vitest run test/web` alone needs this.
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: root, stdio: 'inherit' });
  const executablePath = ensureChromium();
  const server = await chromium.launchServer({
    executablePath,
    args: [...CHROMIUM_FLAGS],
    headless: true,
  });
  project.provide('browserWsEndpoint', server.wsEndpoint());
  return async () => {
    await server.close();
  };
}
