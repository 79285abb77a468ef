import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The platform's own entry point as a separate OS process with ROLE=worker: what a crash test kills
// and restarts. Started with `node --import tsx src/main.ts`, as an operator would run it; a worker
// that is to crash at a saga step runs test/support/crashing-worker.ts, which opens the platform
// the same way with a saga that kills its process there.

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const crashingWorker = fileURLToPath(new URL('./crashing-worker.ts', import.meta.url));

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type WorkerProcess = {
  pid: number;
  /** Resolves once the process serves: its platform is open and its workers run. */
  ready: Promise<void>;
  exited: Promise<Exit>;
  /** What it printed so far, for failure messages. */
  output(): string;
  /** Sends `signal` and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
};

const running = new Map<ChildProcess, Promise<Exit>>();

/**
 * Starts a worker process on `DATABASE_URL` (and whatever else `env` sets). Its environment is built
 * from scratch, so no setting of the test process (a Stripe key, say) leaks into it. With `crashAt`,
 * the process SIGKILLs itself when its checkout saga reaches that step.
 */
export function spawnWorker(
  env: Record<string, string>,
  { crashAt }: { crashAt?: string } = {},
): WorkerProcess {
  const entry = crashAt ? [crashingWorker, crashAt] : [main];
  const child = spawn(process.execPath, ['--import', 'tsx', ...entry], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TMPDIR: process.env.TMPDIR ?? '/tmp',
      ROLE: 'worker',
      PORT: '0',
      LOG_LEVEL: 'silent',
      SEED_DEMO: 'false',
      JWT_SECRET: 'crash-test-secret-that-is-long-enough-for-hs256',
      DATABASE_POOL_SIZE: '6',
      ...env,
    },
  });
  let output = '';
  let serving: () => void;
  const ready = new Promise<void>((resolve) => (serving = resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('serving on')) serving();
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  running.set(child, exited);
  return {
    pid: child.pid!,
    ready,
    exited,
    output: () => output,
    stop(signal = 'SIGTERM') {
      child.kill(signal);
      return exited;
    },
  };
}

/** Kills every worker process still running that this test file started (after a failed test). */
export async function killStrayWorkers(): Promise<void> {
  const stray = [...running];
  for (const [child] of stray) child.kill('SIGKILL');
  await Promise.all(stray.map(([, exited]) => exited));
}

/** Waits for `promise`, or fails after `ms` with `message` (and whatever the process printed). */
export function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${message()} (after ${ms} ms)`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
