// Chromium for the end-to-end tests (test/web/) and the Lighthouse command (bench/lighthouse.ts):
// Debian's `chromium` package, driven by playwright-core. Never a browser downloaded by a test tool
// (that fails on these machines). Not a server: the tests launch it themselves, once per test run.
//   up()     installs Debian's chromium if CHROMIUM_PATH is missing (idempotent); resolves to { CHROMIUM_PATH }
//   down()   nothing to stop
// CHROMIUM_PATH in the environment names another Chromium to use (nothing is installed then).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { aptInstall } from './common.mjs';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The flags Chromium needs here: as root it refuses to start without --no-sandbox; there is no GPU;
 * without the background-networking flags it keeps trying to reach the internet.
 */
export const CHROMIUM_FLAGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]);

/** The version line Chromium prints, or undefined when it does not run. */
export function chromiumVersion(path) {
  if (!existsSync(path)) return undefined;
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The path of a Chromium that runs, installing Debian's package first when it is missing. */
export function ensureChromium() {
  const path = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;
  if (chromiumVersion(path)) return path;
  if (process.env.CHROMIUM_PATH)
    throw new Error(`CHROMIUM_PATH=${path} does not run (\`${path} --version\` failed)`);
  if (process.getuid?.() !== 0)
    throw new Error(
      `Chromium is missing (${path}) and only root can install it: run \`apt-get install chromium\` as root`,
    );
  try {
    // The Liberation fonts are only recommended by the package: without them pages draw in a fallback font.
    aptInstall('chromium', 'fonts-liberation');
  } catch (error) {
    throw new Error(
      `Chromium is missing (${path}) and ${error.message}: the end-to-end tests need Debian's chromium ` +
        "package (apt must reach Debian's registry), or CHROMIUM_PATH naming a Chromium",
    );
  }
  if (!chromiumVersion(path)) throw new Error(`apt-get installed chromium, but ${path} still does not run`);
  return path;
}

export async function up() {
  return { CHROMIUM_PATH: ensureChromium() };
}

export async function down() {}
