// Projection lag (append to visible) while checkouts run, on PostgreSQL, with the platform in its own
// processes as operators run it (an API process and a worker process):
//   node scripts/services.mjs up postgres && tsx bench/lag.ts     (BENCH_SECONDS=10, BENCH_RATE=200)
// Measured after BENCH_WARMUP (default 3) seconds at the same rate.
// Checkouts are offered at a fixed rate (open loop); the worker's `projection_lag_seconds` histogram
// is scraped before and after, and p50/p99 are read from the difference as Prometheus'
// histogram_quantile does (linear within a bucket).
import { v7 as uuidv7 } from 'uuid';
import { demoCatalog } from '../src/seed/demo-catalog.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, offerAtRate, printTable, WARMUP_SECONDS } from './lib/measure.ts';
import { post } from './lib/http-client.ts';
import { scrapeMetrics } from './lib/metrics.ts';
import { startPlatformProcess } from './lib/platform-process.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const PASSWORD = 'bench password 123';

/** Cumulative bucket counts per projection: projection -> (upper bound -> count). */
type Buckets = Map<string, Map<number, number>>;

async function lagBuckets(workerUrl: string): Promise<Buckets> {
  const text = await scrapeMetrics(workerUrl);
  const buckets: Buckets = new Map();
  for (const [, le, projection, count] of text.matchAll(
    /^projection_lag_seconds_bucket\{le="([^"]+)",projection="([^"]+)"\} (\d+)$/gm,
  )) {
    const of = buckets.get(projection!) ?? new Map<number, number>();
    of.set(le === '+Inf' ? Infinity : Number(le), Number(count));
    buckets.set(projection!, of);
  }
  return buckets;
}

/** The q-quantile of the observations between two scrapes, as histogram_quantile computes it. */
function quantile(q: number, before: Map<number, number> | undefined, after: Map<number, number>) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => after.get(b)! - (before?.get(b) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total === 0) return { total, value: NaN };
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! < rank) continue;
    const upper = bounds[i]!;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    if (upper === Infinity) return { total, value: lower };
    const below = i === 0 ? 0 : counts[i - 1]!;
    return { total, value: lower + ((upper - lower) * (rank - below)) / Math.max(1, counts[i]! - below) };
  }
  return { total, value: NaN };
}

const scratch = await scratchDatabase('bench_lag');
const common = {
  DEMO_PASSWORD: PASSWORD,
  PASSWORD_HASH_COST: '10',
  JWT_SECRET: 'bench-secret-bench-secret-bench-secret!!',
  DATABASE_URL: scratch.url,
  DATABASE_POOL_SIZE: '32',
};
const api = await startPlatformProcess({ ...common, SEED_DEMO: 'true', ROLE: 'api' });
const worker = await startPlatformProcess({ ...common, ROLE: 'worker' });
try {
  const admin = `Bearer ${(await post(`${api.url}/auth/login`, { email: 'admin@demo.local', password: PASSWORD })).token as string}`;
  const skus = demoCatalog()
    .slice(0, 20)
    .map((p) => p.sku);
  for (const sku of skus)
    await post(
      `${api.url}/admin/inventory/${sku}/receive`,
      { quantity: 1_000_000 },
      { authorization: admin },
    );

  const buyers: string[] = [];
  const count = RATE * (WARMUP_SECONDS + SECONDS);
  for (let i = 0; i < count; i += 8)
    buyers.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(8, count - i) }, async (_, j) => {
          const { token } = await post(`${api.url}/auth/register`, {
            email: `lag-${uuidv7()}@example.com`,
            password: PASSWORD,
          });
          const authorization = `Bearer ${token as string}`;
          await post(
            `${api.url}/cart/items`,
            { sku: skus[(i + j) % skus.length], quantity: 1 },
            { authorization },
          );
          return authorization;
        }),
      )),
    );

  // Let the worker catch up with the set-up; the baseline is scraped once the warm-up has run.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const before = new Promise((resolve) => setTimeout(resolve, WARMUP_SECONDS * 1000)).then(() =>
    lagBuckets(worker.url),
  );
  let failed = 0;
  await offerAtRate(count, RATE, (i) =>
    post(
      `${api.url}/checkout`,
      { paymentMethod: 'pm_card_visa' },
      { authorization: buyers[i]!, 'idempotency-key': `lag-${uuidv7()}` },
    ).then(
      () => undefined,
      () => void (failed += 1),
    ),
  );
  // The saga's last steps and the projections' last batches.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const [baseline, after] = [await before, await lagBuckets(worker.url)];
  const rows = [...after].map(([projection, buckets]) => {
    const p50 = quantile(0.5, baseline.get(projection), buckets);
    const p99 = quantile(0.99, baseline.get(projection), buckets);
    return {
      projection,
      batches: p50.total,
      'p50 ms': fixed(p50.value * 1000, 1),
      'p99 ms': fixed(p99.value * 1000, 1),
    };
  });
  printTable(
    `Projection lag on PostgreSQL (API + worker processes) with checkouts offered at ${RATE}/s for ${SECONDS} s after ${WARMUP_SECONDS} s` +
      (failed ? ` (${failed} checkouts refused)` : ''),
    rows,
  );
} finally {
  await api.stop();
  await worker.stop();
  await scratch.drop();
}
