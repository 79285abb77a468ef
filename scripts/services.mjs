#!/usr/bin/env node
// Starts the real servers the test suites and benchmarks talk to, on 127.0.0.1 only, without Docker.
//   node scripts/services.mjs up [postgres ...]   install if missing, start if not answering (idempotent)
//   node scripts/services.mjs down                stop what this script started
//   node scripts/services.mjs env                 print the URLs as shell exports
// A URL already in the environment (DATABASE_URL, ...) means "use that server": nothing is started.
// The URLs are written to .services/env.json, which the test setup reads.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, cacheDir, log, ownedPid, portOpen, waitFor } from './services/common.mjs';
import * as chromium from './services/chromium.mjs';
import * as elasticsearch from './services/elasticsearch.mjs';
import * as kafka from './services/kafka.mjs';
import * as redis from './services/redis.mjs';
import * as schemathesis from './services/schemathesis.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = join(root, '.services');
const envFile = join(stateDir, 'env.json');

const sh = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts }).toString();

// --- PostgreSQL -------------------------------------------------------------------------------------
const PG_PORT = Number(process.env.SERVICES_PG_PORT ?? 55432);

function postgresBin() {
  const base = '/usr/lib/postgresql';
  const find = () =>
    existsSync(base)
      ? readdirSync(base)
          .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => join(base, v, 'bin'))[0]
      : undefined;
  const found = find();
  if (found) return found;
  aptInstall('postgresql', 'postgresql-contrib');
  const installed = find();
  if (!installed) throw new Error('PostgreSQL is still missing after apt-get install');
  return installed;
}

async function startPostgres() {
  if (process.env.DATABASE_URL) return { DATABASE_URL: process.env.DATABASE_URL };
  const dataDir = join(cacheDir, 'postgres');
  // Clients on this machine connect through the server's Unix socket, cheaper than loopback TCP
  // (docs/decisions/0014).
  const url = () =>
    existsSync(join(dataDir, `.s.PGSQL.${PG_PORT}`))
      ? `postgres://postgres@localhost:${PG_PORT}/postgres?host=${encodeURIComponent(dataDir)}`
      : `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`;
  if (await portOpen(PG_PORT)) return { DATABASE_URL: url() };
  const bin = postgresBin();
  const logFile = join(cacheDir, 'postgres.log');
  mkdirSync(cacheDir, { recursive: true });
  const asPostgres = (cmd, args) => {
    const isRoot = process.getuid?.() === 0;
    return isRoot
      ? sh('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args])
      : sh(join(bin, cmd), args);
  };
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`initialising a PostgreSQL cluster in ${dataDir}`);
    mkdirSync(dataDir, { recursive: true });
    if (process.getuid?.() === 0) {
      const { uid, gid } = userIds('postgres');
      chownSync(cacheDir, uid, gid);
      chownSync(dataDir, uid, gid);
    }
    asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    writeFileSync(
      join(dataDir, 'postgresql.auto.conf'),
      [
        `listen_addresses = '127.0.0.1'`,
        `port = ${PG_PORT}`,
        `unix_socket_directories = '${dataDir}'`,
        `max_connections = 400`,
        `shared_buffers = '512MB'`,
        `max_wal_size = '4GB'`,
        `checkpoint_timeout = '15min'`,
        `wal_level = 'minimal'`,
        `max_wal_senders = 0`,
      ].join('\n') + '\n',
    );
    if (process.getuid?.() === 0) {
      const { uid, gid } = userIds('postgres');
      chownSync(join(dataDir, 'postgresql.auto.conf'), uid, gid);
    }
  }
  log(`starting PostgreSQL on 127.0.0.1:${PG_PORT}`);
  if (process.getuid?.() === 0) {
    const { uid, gid } = userIds('postgres');
    if (!existsSync(logFile)) writeFileSync(logFile, '');
    chownSync(logFile, uid, gid);
  }
  asPostgres('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
  await waitFor('PostgreSQL', () => portOpen(PG_PORT), 60_000, logFile);
  return { DATABASE_URL: url() };
}

async function stopPostgres() {
  const dataDir = join(cacheDir, 'postgres');
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  const bin = postgresBin();
  const args = ['-D', dataDir, '-m', 'fast', 'stop'];
  if (process.getuid?.() === 0) spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args]);
  else spawnSync(join(bin, 'pg_ctl'), args);
}

function userIds(name) {
  return { uid: Number(sh('id', ['-u', name]).trim()), gid: Number(sh('id', ['-g', name]).trim()) };
}

// --- stripe-mock ---------------------------------------------------------------------------------------
// Stripe's official API mock, built from the Go module proxy into the cache dir (GOBIN) on first use.
// -http-addr alone would still open the default HTTPS listener on every interface (port 12112), so
// HTTPS is bound to a free loopback port too.
const STRIPE_MOCK_PORT = Number(process.env.SERVICES_STRIPE_MOCK_PORT ?? 12111);
const stripeMockDir = join(cacheDir, 'stripe-mock');
const stripeMockPidFile = join(stripeMockDir, 'stripe-mock.pid');

function stripeMockBin() {
  const gobin = join(stripeMockDir, 'bin');
  const bin = join(gobin, 'stripe-mock');
  if (existsSync(bin)) return bin;
  mkdirSync(gobin, { recursive: true });
  log('building stripe-mock with go install (first time only, under a minute)');
  const r = spawnSync('go', ['install', 'github.com/stripe/stripe-mock@latest'], {
    cwd: stripeMockDir,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, GOBIN: gobin },
  });
  if (r.error) throw new Error(`cannot run go to build stripe-mock: ${r.error.message}`);
  if (r.status !== 0 || !existsSync(bin)) throw new Error('go install of stripe-mock failed (see above)');
  return bin;
}

/** True when a stripe-mock (or Stripe) answers an authenticated list call at `url`. */
async function stripeMockAnswers(url) {
  try {
    const res = await fetch(`${url}/v1/customers?limit=1`, {
      headers: { authorization: 'Bearer sk_test_services' },
      signal: AbortSignal.timeout(2_000),
    });
    return res.ok && (await res.json()).object === 'list';
  } catch {
    return false;
  }
}

async function startStripeMock() {
  if (process.env.STRIPE_MOCK_URL) return { STRIPE_MOCK_URL: process.env.STRIPE_MOCK_URL };
  const url = `http://127.0.0.1:${STRIPE_MOCK_PORT}`;
  if (await portOpen(STRIPE_MOCK_PORT)) {
    // Give one that is still starting (another run of this script) a few seconds.
    await waitFor('stripe-mock', () => stripeMockAnswers(url), 5_000).catch(() => {
      throw new Error(`something that is not stripe-mock answers on 127.0.0.1:${STRIPE_MOCK_PORT}`);
    });
    return { STRIPE_MOCK_URL: url };
  }
  const bin = stripeMockBin();
  const logFile = join(cacheDir, 'stripe-mock.log');
  log(`starting stripe-mock on ${url}`);
  const out = openSync(logFile, 'w');
  const child = spawn(bin, ['-http-addr', `127.0.0.1:${STRIPE_MOCK_PORT}`, '-https-addr', '127.0.0.1:0'], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();
  writeFileSync(stripeMockPidFile, `${child.pid}\n`);
  await waitFor('stripe-mock', () => stripeMockAnswers(url), 30_000, logFile);
  return { STRIPE_MOCK_URL: url };
}

async function stopStripeMock() {
  if (!existsSync(stripeMockPidFile)) return;
  // Only the process this script started, and only if that pid still is stripe-mock.
  const pid = ownedPid(stripeMockPidFile, 'stripe-mock');
  if (pid !== undefined) process.kill(pid, 'SIGTERM');
  rmSync(stripeMockPidFile, { force: true });
}

// --- command line -------------------------------------------------------------------------------------
const services = {
  postgres: { up: startPostgres, down: stopPostgres },
  stripe: { up: startStripeMock, down: stopStripeMock },
  kafka: { up: () => kafka.up(), down: () => kafka.down() },
  elasticsearch: { up: () => elasticsearch.up(), down: () => elasticsearch.down() },
  redis: { up: () => redis.up(), down: () => redis.down() },
  // Not a server: the API fuzzer test/api/fuzz.spec.ts runs, installed from PyPI once.
  schemathesis: { up: () => schemathesis.up(), down: () => schemathesis.down() },
  // Not a server either: Debian's Chromium for the end-to-end tests (test/web/), which launch it.
  chromium: { up: () => chromium.up(), down: () => chromium.down() },
};

async function main() {
  const [command = 'up', ...names] = process.argv.slice(2);
  const selected = names.length > 0 ? names : Object.keys(services);
  for (const name of selected) if (!services[name]) throw new Error(`unknown service "${name}"`);
  mkdirSync(stateDir, { recursive: true });
  const previous = existsSync(envFile) ? JSON.parse(readFileSync(envFile, 'utf8')) : {};
  if (command === 'up') {
    const env = { ...previous };
    for (const name of selected) Object.assign(env, await services[name].up());
    writeFileSync(envFile, JSON.stringify(env, null, 2) + '\n');
    for (const [k, v] of Object.entries(env)) log(`${k}=${v}`);
  } else if (command === 'down') {
    for (const name of selected) await services[name].down();
  } else if (command === 'env') {
    for (const [k, v] of Object.entries(previous)) console.log(`export ${k}=${JSON.stringify(v)}`);
  } else {
    throw new Error(`unknown command "${command}" (use up, down or env)`);
  }
}

main().catch((error) => {
  console.error(`[services] ${error.message}`);
  process.exit(1);
});
