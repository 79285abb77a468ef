// Redis 7 (Debian's redis-server) on 127.0.0.1:6379, without Docker: a throwaway cache, nothing saved
// to disk (the read models it holds are rebuilt from the event store).
//   up()     REDIS_URL from the environment, else a server on 127.0.0.1:6379 (started if none answers)
//   down()   stops the server this script started (its pid file), never another one
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { aptInstall, cacheDir, log, ownedPid, portOpen, runs, sleep, waitFor } from './common.mjs';

const PORT = Number(process.env.SERVICES_REDIS_PORT ?? 6379);
const dir = join(cacheDir, 'redis');
const pidFile = join(dir, 'redis.pid');
const logFile = join(dir, 'redis.log');

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

/** Polls every 100 ms and prints the last 60 lines of the server's log when it is not ready in time. */
const waitForPing = (name, timeoutMs) =>
  waitFor(name, () => answersPing(PORT), timeoutMs, logFile, { intervalMs: 100, tailLines: 60 });

/** redis-server from Debian when this machine lacks it. */
function ensureRedisServer() {
  if (runs('redis-server', ['--version'])) return;
  aptInstall('redis-server');
  if (!runs('redis-server', ['--version'])) throw new Error('apt-get install redis-server failed');
}

/** Starts Redis if none answers on the port (idempotent) and resolves to { REDIS_URL }. */
export async function up() {
  if (process.env.REDIS_URL) return { REDIS_URL: process.env.REDIS_URL };
  const url = `redis://127.0.0.1:${PORT}`;
  if (await portOpen(PORT)) {
    // Another run of this script may still be starting it: give it a moment, but only if it is Redis.
    await waitForPing(`Redis on 127.0.0.1:${PORT}`, 5_000).catch(() => {
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
  await waitForPing(`Redis on ${url}`, 30_000);
  return { REDIS_URL: url };
}

/** The pid of the server this script started, if that process still is redis-server. */
function runningPid() {
  return ownedPid(pidFile, 'redis-server');
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
