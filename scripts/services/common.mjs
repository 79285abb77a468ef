// Helpers shared by scripts/services.mjs and the per-server modules next to this file.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** Where binaries, data and logs of the servers live between runs. */
export const cacheDir = process.env.SERVICES_CACHE_DIR ?? '/var/tmp/eventful-commerce-services';

export const log = (msg) => console.error(`[services] ${msg}`);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when the command runs and exits with status 0 (output discarded). */
export const runs = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** True when something accepts a TCP connection on the port. */
export function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Prints the last `lines` lines of each existing file to stderr. */
export function printTail(files, lines = 60) {
  for (const file of [files].flat())
    if (file && existsSync(file))
      console.error(readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n'));
}

/**
 * Polls `check` every `intervalMs` until it resolves truthy; after `timeoutMs` prints the last
 * `tailLines` lines of `logFile` (a path or a list of paths, when given and present) and throws.
 * An error thrown by `check` ends the wait at once, without the log tail.
 */
export async function waitFor(name, check, timeoutMs, logFile, { intervalMs = 250, tailLines = 60 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(intervalMs);
  }
  if (logFile) printTail(logFile, tailLines);
  throw new Error(`${name} did not become ready within ${timeoutMs / 1000}s`);
}

let aptUpdated = false;
/** Installs Debian packages (apt-get update once per process); apt's output goes to stderr. */
export function aptInstall(...packages) {
  log(`installing ${packages.join(' ')} with apt-get`);
  if (!aptUpdated) spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 2, 2] });
  aptUpdated = true;
  const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], {
    stdio: ['ignore', 2, 2],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed`);
}

/**
 * The pid recorded in `pidFile` if that process still runs a command line containing every one of
 * `markers` (so a recycled pid is never taken for the server this script started).
 */
export function ownedPid(pidFile, ...markers) {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  return markers.every((marker) => cmdline.includes(marker)) ? pid : undefined;
}

/** A process that ended but was not reaped yet (a zombie) counts as gone. */
export function alive(pid) {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to `pid`, waits for the process to end (SIGKILL after `timeoutMs`, logging that
 * `name` did not stop in time), then waits until nothing listens on `port` any more.
 */
export async function stopProcess(pid, { name, port, signal = 'SIGTERM', timeoutMs = 30_000 }) {
  process.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  let killed = signal === 'SIGKILL';
  while (alive(pid)) {
    if (!killed && Date.now() > deadline) {
      log(`${name} did not stop in time: killing it`);
      process.kill(pid, 'SIGKILL');
      killed = true;
    }
    await sleep(100);
  }
  while (await portOpen(port)) await sleep(100);
}
