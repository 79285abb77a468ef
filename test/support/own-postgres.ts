import { execFileSync, spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL server of a test's own (a throwaway cluster in a temporary folder, on a free port), so
 * that the test can freeze and thaw it, as a network partition looks, without freezing the server
 * every other test file uses.
 */
export type OwnPostgres = Readonly<{
  url: string;
  /** Stops every process of the server (SIGSTOP): connections stay open, nothing answers. */
  freeze(): void;
  /** Lets them go on (SIGCONT). */
  thaw(): void;
  stop(): Promise<void>;
}>;

const isRoot = process.getuid?.() === 0;

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort().at(-1);
  if (!version) throw new Error('no PostgreSQL server under /usr/lib/postgresql (run npm run services)');
  return join(root, version, 'bin');
}

function asPostgres(command: string, args: string[]) {
  const [file, all] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', join(binDir(), command), ...args]]
    : [join(binDir(), command), args];
  execFileSync(file, all, { stdio: 'pipe' });
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** The postmaster's process id and those of every process it started. */
function processesOf(dataDir: string): number[] {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map(Number);
  return [postmaster, ...children];
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dataDir = mkdtempSync(join(tmpdir(), 'own-postgres-'));
  if (isRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dataDir, id('-u'), id('-g'));
  }
  const port = await freePort();
  asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const conf = `listen_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = ''\nfsync = off\n`;
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), conf);
  if (isRoot) execFileSync('chown', ['postgres', join(dataDir, 'postgresql.auto.conf')]);
  asPostgres('pg_ctl', ['-D', dataDir, '-l', join(dataDir, 'server.log'), '-w', '-t', '60', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.end();
  const signal = (name: 'STOP' | 'CONT') => {
    for (const pid of processesOf(dataDir)) spawnSync('kill', [`-${name}`, String(pid)]);
  };
  return {
    url,
    freeze: () => signal('STOP'),
    thaw: () => signal('CONT'),
    async stop() {
      signal('CONT');
      if (existsSync(join(dataDir, 'postmaster.pid')))
        asPostgres('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
