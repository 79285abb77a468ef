#!/usr/bin/env node
// Starts the real servers the test suites and benchmarks talk to, on 127.0.0.1 only, without Docker.
//   node scripts/services.mjs up [postgres ...]   install if missing, start if not answering (idempotent)
//   node scripts/services.mjs down                stop what this script started
//   node scripts/services.mjs env                 print the URLs as shell exports
// A URL already in the environment (DATABASE_URL, ...) means "use that server": nothing is started.
// The URLs are written to .services/env.json, which the test setup reads.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, chownSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = join(root, '.services');
const cacheDir = process.env.SERVICES_CACHE_DIR ?? '/var/tmp/eventful-commerce-services';
const envFile = join(stateDir, 'env.json');

const log = (msg) => console.error(`[services] ${msg}`);
const sh = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts }).toString();

function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(name, check, timeoutMs, logFile) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (logFile && existsSync(logFile))
    console.error(readFileSync(logFile, 'utf8').split('\n').slice(-60).join('\n'));
  throw new Error(`${name} did not become ready within ${timeoutMs / 1000}s`);
}

let aptUpdated = false;
function aptInstall(...packages) {
  log(`installing ${packages.join(' ')} with apt-get`);
  if (!aptUpdated) spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
  aptUpdated = true;
  const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed`);
}

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
  const url = `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`;
  if (await portOpen(PG_PORT)) return { DATABASE_URL: url };
  const bin = postgresBin();
  const dataDir = join(cacheDir, 'postgres');
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
  return { DATABASE_URL: url };
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

// --- command line -------------------------------------------------------------------------------------
const services = { postgres: { up: startPostgres, down: stopPostgres } };

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
