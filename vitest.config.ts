import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers only make the concurrency tests fight over the CPU.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'platform',
          include: ['test/**/*.spec.ts'],
          exclude: [...configDefaults.exclude, 'test/web/**'],
        },
      },
      {
        // The end-to-end tests in a real browser: only a run that includes them launches Chromium
        // (a project's global setup runs when some of its files run).
        extends: true,
        test: {
          name: 'web',
          include: ['test/web/**/*.spec.ts'],
          globalSetup: ['test/support/browser-setup.ts'],
          // A browser on two shared cores: generous limits, never asserted as durations.
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
