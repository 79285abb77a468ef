// Schemathesis (schema-driven API fuzzing, from PyPI) in a virtualenv of its own in the cache folder,
// for test/api/fuzz.spec.ts. Not a server: nothing runs until a test calls it.
//   up()      installs the pinned version if it is missing (idempotent) and resolves to { SCHEMATHESIS_BIN }
//   down()    nothing to stop
// Needs Python >= 3.9 with venv and pip (SERVICES_PYTHON, else python3.11, else python3).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, log } from './common.mjs';

export const SCHEMATHESIS_VERSION = process.env.SERVICES_SCHEMATHESIS_VERSION ?? '4.32.5';
const dir = join(cacheDir, 'schemathesis', SCHEMATHESIS_VERSION);
/** The `st` command of the pinned version (present once up() has run). */
export const schemathesisBin = join(dir, 'bin', 'st');

/** The version `st` reports, or undefined when it does not run. */
function installedVersion(bin) {
  if (!existsSync(bin)) return undefined;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? /(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] : undefined;
}

function python() {
  for (const candidate of [process.env.SERVICES_PYTHON, 'python3.11', 'python3'].filter(Boolean)) {
    const r = spawnSync(candidate, ['-c', 'import sys, venv; print(sys.version_info >= (3, 9))'], {
      encoding: 'utf8',
    });
    if (r.status === 0 && r.stdout.trim() === 'True') return candidate;
  }
  throw new Error(
    'schemathesis needs Python >= 3.9 with venv (python3.11 or python3; or set SERVICES_PYTHON)',
  );
}

/** Installs schemathesis if it is not there yet; resolves to { SCHEMATHESIS_BIN }. */
export async function up() {
  if (installedVersion(schemathesisBin) === SCHEMATHESIS_VERSION)
    return { SCHEMATHESIS_BIN: schemathesisBin };
  // A half-done install (interrupted) does not answer --version: it is started over.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(cacheDir, 'schemathesis'), { recursive: true });
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${dir} (first time only)`);
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 2, 2] });
    if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (see above)`);
  };
  run(python(), ['-m', 'venv', dir]);
  run(join(dir, 'bin', 'python'), [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `schemathesis==${SCHEMATHESIS_VERSION}`,
  ]);
  const version = installedVersion(schemathesisBin);
  if (version !== SCHEMATHESIS_VERSION)
    throw new Error(`schemathesis ${SCHEMATHESIS_VERSION} is still missing after pip install`);
  return { SCHEMATHESIS_BIN: schemathesisBin };
}

export async function down() {}
