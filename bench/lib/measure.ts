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

export function printTable(title: string, rows: Record<string, string | number>[]) {
  console.log(`\n${title}`);
  console.table(rows);
}

export const fixed = (n: number, digits = 0) => Number(n.toFixed(digits));
