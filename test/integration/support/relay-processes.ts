import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { within, type Exit } from '../../support/saga-worker-process.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const entry = fileURLToPath(new URL('./relay-process.ts', import.meta.url));
const running = new Set<ChildProcess>();

export type RelayProcess = {
  pid: number;
  holder: string;
  exited: Promise<Exit>;
  output(): string;
  /** Resolves once the process printed `text`; fails after `timeoutMs` (a minute by default). */
  printed(text: string, timeoutMs?: number): Promise<void>;
  /** Writes a line to the process's standard input (see relay-process.ts for what it understands). */
  send(line: string): void;
  kill(signal: NodeJS.Signals): Promise<Exit>;
};

/** Starts `test/integration/support/relay-process.ts` as a separate OS process. */
export function spawnRelay(holder: string, env: Record<string, string>): RelayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RELAY_HOLDER: holder, ...env },
  });
  running.add(child);
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of [...listeners]) listener();
  };
  child.stdin!.on('error', () => undefined); // a line sent as it dies: nobody to read it, no matter
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    pid: child.pid!,
    holder,
    exited,
    output: () => output,
    printed(text, timeoutMs = 60_000) {
      const seen = new Promise<void>((resolve) => {
        const check = () => {
          if (!output.includes(text)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
      });
      return within(seen, timeoutMs, () => `relay ${holder} never printed "${text}"\n${output}`);
    },
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
    kill(signal) {
      child.kill(signal);
      return exited;
    },
  };
}

/** Kills the relay processes still running (after a failed test). */
export async function killStrayRelays() {
  const stray = [...running];
  const exits = stray.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of stray) child.kill('SIGKILL');
  await Promise.all(exits);
}
