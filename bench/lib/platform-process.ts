import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/**
 * The settings that choose a profile's servers. A benchmark names its profile's servers in `env`;
 * the shell's are not passed on, or an embedded run with DATABASE_URL exported would run on that
 * database (and migrate it).
 */
const SERVER_SETTINGS = [
  'DATABASE_URL',
  'REDIS_URL',
  'ELASTICSEARCH_URL',
  'KAFKA_BROKERS',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_PUBLISHABLE_KEY',
  'STRIPE_API_URL',
];

/**
 * The platform as an operator runs it (`src/main.ts`), in its own process; resolves with its URL.
 * BENCH_CPU_PROFILE=<dir>: each platform process writes a V8 CPU profile there when it stops.
 * BENCH_WORKER_NICE (default 10): the niceness of a ROLE=worker process.
 */
export async function startPlatformProcess(
  env: Record<string, string>,
): Promise<{ url: string; stop(): Promise<void> }> {
  const profile = process.env.BENCH_CPU_PROFILE;
  const profiling = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  // API and worker share the machine's two cores here: the worker, whose work waits in queues
  // anyway, runs at a lower priority than the API, whose answers a shopper waits for (`nice`, as the
  // README advises for that set-up). BENCH_WORKER_NICE=0 runs both alike.
  const niceness = env.ROLE === 'worker' ? Number(process.env.BENCH_WORKER_NICE ?? 10) : 0;
  const command = [process.execPath, ...profiling, '--import', 'tsx', main];
  const [file, ...args] = niceness ? ['nice', '-n', String(niceness), ...command] : command;
  const child: ChildProcess = spawn(file!, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A benchmark is one client address hammering the API: no request-rate limits or lockout.
    env: { ...inherited(), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'error', RATE_LIMITS: 'off', ...env },
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`platform exited with ${code}:\n${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** This process's environment without the shell's choice of servers (`SERVER_SETTINGS`). */
function inherited(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of SERVER_SETTINGS) delete env[name];
  return env;
}
