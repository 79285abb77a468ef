// Redis 7 (Debian's redis-server) on 127.0.0.1:6379, without Docker: a throwaway cache, nothing saved
// to disk (the read models it holds are rebuilt from the event store).
//   up()     REDIS_URL from the environment, else a server on 127.0.0.1:6379 (started if none answers)
//   down()   stops the server this script started (its pid file), never another one
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

const PORT = Number(process.env.SERVICES_REDIS_PORT ?? 6379);
const cacheDir = process.env.SERVICES_CACHE_DIR ?? '/var/tmp/eventful-commerce-services';
const dir = join(cacheDir, 'redis');
const pidFile = join(dir, 'redis.pid');
const logFile = join(dir, 'redis.log');

const log = (msg) => console.error(`[services] ${msg}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when a Redis server answers PING with +PONG on the port (anything else listening is not Redis). */
function answersPing(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let received = '';
    const finish = (answer) => (socket.destroy(), clearTimeout(timer), resolve(answer));
    const timer = setTimeout(() => finish(false), 2_000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      received += chunk.toString();
      if (received.includes('\r\n')) finish(received.startsWith('+PONG'));
    });
    socket.once('error', () => finish(false));
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(name, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  if (existsSync(logFile)) console.error(readFileSync(logFile, 'utf8').split('\n').slice(-60).join('\n'));
  throw new Error(`${name} did not become ready within ${timeoutMs / 1000}s`);
}

const runs = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** redis-server from Debian when this machine lacks it. */
function ensureRedisServer() {
  if (runs('redis-server', ['--version'])) return;
  log('installing redis-server with apt-get');
  spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 2, 2] });
  const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'redis-server'], {
    stdio: ['ignore', 2, 2],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || !runs('redis-server', ['--version']))
    throw new Error('apt-get install redis-server failed');
}

/** Starts Redis if none answers on the port (idempotent) and resolves to { REDIS_URL }. */
export async function up() {
  if (process.env.REDIS_URL) return { REDIS_URL: process.env.REDIS_URL };
  const url = `redis://127.0.0.1:${PORT}`;
  if (await portOpen(PORT)) {
    // Another run of this script may still be starting it: give it a moment, but only if it is Redis.
    await waitFor(`Redis on 127.0.0.1:${PORT}`, () => answersPing(PORT), 5_000).catch(() => {
      throw new Error(`something that is not Redis answers on 127.0.0.1:${PORT}`);
    });
    return { REDIS_URL: url };
  }
  ensureRedisServer();
  mkdirSync(dir, { recursive: true });
  log(`starting Redis on ${url}`);
  const r = spawnSync(
    'redis-server',
    [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '--port',
      String(PORT),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--pidfile',
      pidFile,
      '--logfile',
      logFile,
    ],
    { stdio: ['ignore', 2, 2] },
  );
  if (r.status !== 0) throw new Error(`redis-server exited with ${r.status ?? r.signal}`);
  await waitFor(`Redis on ${url}`, () => answersPing(PORT), 30_000);
  return { REDIS_URL: url };
}

/** The pid of the server this script started, if that process still is redis-server. */
function runningPid() {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  return cmdline.includes('redis-server') ? pid : undefined;
}

/** Stops the server this script started and waits until the port is free. */
export async function down() {
  const pid = runningPid();
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while ((await portOpen(PORT)) && Date.now() < deadline) await sleep(100);
  }
  rmSync(pidFile, { force: true });
}
