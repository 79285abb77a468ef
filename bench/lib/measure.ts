import { appendFileSync } from 'node:fs';

/** Closed-loop load: `concurrency` workers each run `operation` back to back until `seconds` pass. */
export async function runClosedLoop(
  concurrency: number,
  seconds: number,
  operation: (worker: number, iteration: number) => Promise<unknown>,
): Promise<Measurement> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        await operation(worker, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return summarise(latencies, (performance.now() - started) / 1000);
}

export type Measurement = {
  operations: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
};

export function summarise(latencies: number[], seconds: number): Measurement {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return {
    operations: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
  };
}

export const rssMiB = () => Math.round(process.memoryUsage().rss / 1024 / 1024);

/**
 * Prints a titled table. With BENCH_JSON=<file> set (as `npm run bench` sets it for each benchmark it
 * runs), also appends `{ title, rows }` to that file as one line of JSON: the machine-readable copy.
 */
export function printTable(title: string, rows: Record<string, string | number>[]) {
  console.log(`\n${title}`);
  console.table(rows);
  const file = process.env.BENCH_JSON;
  if (file) appendFileSync(file, `${JSON.stringify({ title, rows })}\n`);
}

export const fixed = (n: number, digits = 0) => Number(n.toFixed(digits));

/**
 * Seconds of load at the offered rate before measuring starts (BENCH_WARMUP, default 3): the
 * platform's processes compile their hot paths and open their pool's connections meanwhile, as a
 * shop that has been open a while already has.
 */
export const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP ?? 3);

/**
 * Open loop: starts `send(i)` for i = 0 … count-1 at `rate` per second from now, whatever the answers
 * take. Resolves when every call has.
 */
export async function offerAtRate(count: number, rate: number, send: (i: number) => Promise<void>) {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      await new Promise((r) => setTimeout(r, Math.max(0, started + (i * 1000) / rate - performance.now())));
      await send(i);
    }),
  );
}

export const warmingUp = (i: number, rate: number) => i < WARMUP_SECONDS * rate;
