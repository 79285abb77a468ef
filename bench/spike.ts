// A Black-Friday spike:   npm run bench:spike
// Checkouts are offered open loop (whatever the answers take) at BENCH_BASE_RATE (50) per second for
// BENCH_BEFORE seconds (5), then BENCH_PEAK_RATE (1,000) per second for BENCH_PEAK seconds (5), then
// the base rate again for BENCH_AFTER seconds (5); every checkout is a different customer with one
// unit of one of 50 well-stocked SKUs in the cart. Per profile (embedded: one process on disk, as
// `npm start` runs it; services: an API process and a worker at BENCH_WORKER_NICE on PostgreSQL and
// Redis), after a warm-up of BENCH_WARMUP_ORDERS (300) orders. Printed per phase: the checkouts
// answered 202 and the 202's p50/p99; then whether every order settled, how long after the surge's
// last checkout the surge's last order settled (the drain, goal <= 8 s), the platform's CPU per order
// and peak RSS.
// The ceiling, measured in the same run: the same checkouts offered to the API alone (ROLE=api: no
// saga, no projections; the orders wait in the queue), its surge's 202 p50/p99 the best this machine
// gives the API at that rate (BENCH_CEILING=0 leaves it out). The load generator runs on the same two
// cores; its event loop's longest pause in the phases is printed too (an answer that arrives in one is
// timed late by up to that much). BENCH_PROFILES (embedded,services).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serviceUrl } from '../test/support/services.ts';
import { call, inParallel, JWT_SECRET, load, peakRss, prepareShop, sku } from './lib/crowd.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, printTable, summarise } from './lib/measure.ts';
import { scrapeMetrics } from './lib/metrics.ts';
import { startPlatformProcess } from './lib/platform-process.ts';

const PROFILES = (process.env.BENCH_PROFILES ?? 'embedded,services').split(',');
const BASE_RATE = Number(process.env.BENCH_BASE_RATE ?? 50);
const PEAK_RATE = Number(process.env.BENCH_PEAK_RATE ?? 1_000);
const PHASES = [
  { name: 'before', rate: BASE_RATE, seconds: Number(process.env.BENCH_BEFORE ?? 5) },
  { name: 'surge', rate: PEAK_RATE, seconds: Number(process.env.BENCH_PEAK ?? 5) },
  { name: 'after', rate: BASE_RATE, seconds: Number(process.env.BENCH_AFTER ?? 5) },
] as const;
const WARMUP_ORDERS = Number(process.env.BENCH_WARMUP_ORDERS ?? 300);
const CEILING = process.env.BENCH_CEILING !== '0';
const SKUS = 50;

type Row = Record<string, string | number>;
type Answer = { phase: number; status: number; ms: number; orderId?: string; problem?: string };

/** Every checkout of the three phases, each sent at its moment from `started`. */
function schedule() {
  const sends: { phase: number; atMs: number }[] = [];
  let phaseStart = 0;
  PHASES.forEach(({ rate, seconds }, phase) => {
    for (let i = 0; i < rate * seconds; i++) sends.push({ phase, atMs: phaseStart + (i * 1000) / rate });
    phaseStart += seconds * 1000;
  });
  return sends;
}

const checkout = async (base: string, authorization: string, key: string) => {
  const t0 = performance.now();
  const answer = await call(
    `${base}/checkout`,
    'POST',
    { paymentMethod: 'pm_card_visa' },
    { authorization, 'idempotency-key': key },
  );
  return { answer, ms: performance.now() - t0 };
};

async function cpuSeconds(bases: readonly string[]) {
  let total = 0;
  for (const base of bases)
    total += Number(/^process_cpu_seconds_total (\S+)/m.exec(await scrapeMetrics(base))?.[1] ?? 0);
  return total;
}

/**
 * One run of the three phases on a shop of its own. `apiAlone`: the processes started run no
 * background work, so nothing settles; only the surge's answers are reported (the ceiling).
 */
async function spike(
  profile: string,
  env: Record<string, string>,
  start: () => Promise<{ url: string; stop(): Promise<void> }[]>,
  apiAlone = false,
): Promise<Row[]> {
  const sends = schedule();
  const listings = Array.from({ length: SKUS }, (_, i) => ({
    sku: sku(`SPIKE${i}`),
    title: `Doorbuster ${i}`,
    units: 1_000_000,
  }));
  process.stdout.write(`${profile}: ${sends.length + WARMUP_ORDERS} customers with a cart each…`);
  const shop = await prepareShop(env, listings, sends.length + WARMUP_ORDERS);
  const processes = await start();
  const base = processes[0]!.url;
  const bases = processes.map((p) => p.url);
  await inParallel(shop.customers.length, 64, async (i) => {
    const added = await call(
      `${base}/cart/items`,
      'POST',
      { sku: listings[i % SKUS]!.sku, quantity: 1 },
      { authorization: shop.customers[i]! },
    );
    if (added.status >= 300) throw new Error(`add to cart: ${added.status} ${JSON.stringify(added.body)}`);
  });
  console.log(' ready');
  // Asked of the order list (a read model) every 250 ms, not of each order's stream: asking is work
  // for the platform too, which should go to draining the queue. Resolves with every order once
  // `count` orders are listed and none of them is pending.
  const settled = async (count: number) => {
    const list = (query: string) =>
      call(`${base}/admin/orders?${query}`, 'GET', undefined, { authorization: shop.admin }).then(
        ({ body }) => body as { items: Record<string, unknown>[]; total: number },
      );
    for (;;) {
      const [all, pending] = await Promise.all([list('pageSize=1'), list('status=pending&pageSize=1')]);
      if (all.total >= count && pending.total === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const pages = await inParallel(Math.ceil(count / 100), 4, (i) => list(`pageSize=100&page=${i + 1}`));
    return pages.flatMap((page) => page.items);
  };

  // Warm-up: a shop open for a while has its hot paths compiled and its connections open.
  const warm = shop.customers.slice(sends.length);
  const warmed = await inParallel(warm.length, 16, (i) =>
    checkout(base, warm[i]!, `warm-${i}-${randomBytes(4).toString('hex')}`),
  );
  if (!apiAlone) await settled(warmed.length);

  const loadBefore = load();
  const cpuBefore = await cpuSeconds(bases);
  const started = performance.now();
  const startedAt = Date.now();
  const run = Promise.all(
    sends.map(async ({ phase, atMs }, i): Promise<Answer> => {
      await new Promise((r) => setTimeout(r, Math.max(0, started + atMs - performance.now())));
      const { answer, ms } = await checkout(
        base,
        shop.customers[i]!,
        `spike-${i}-${randomBytes(4).toString('hex')}`,
      );
      return {
        phase,
        status: answer.status,
        ms,
        orderId: answer.body.orderId as string | undefined,
        problem: answer.status === 202 ? undefined : String(answer.body.type ?? answer.body.title),
      };
    }),
  );
  const pauses = monitorEventLoopDelay({ resolution: 5 });
  pauses.enable();
  const [answers, peak] = await peakRss(bases, run);
  pauses.disable();
  const paused = fixed(pauses.max / 1e6, 0);
  /** The checkouts of a phase answered 202: how many, and how fast. */
  const acceptedIn = (phase: number) =>
    summarise(
      answers.filter((a) => a.phase === phase && a.status === 202).map((a) => a.ms),
      PHASES[phase]!.seconds,
    );
  if (apiAlone) {
    const cpu = (await cpuSeconds(bases)) - cpuBefore;
    const accepted = acceptedIn(1);
    for (const p of processes) await p.stop();
    return [
      {
        profile,
        phase: 'ceiling: surge to the API alone',
        '202': `${accepted.operations}/${PEAK_RATE * PHASES[1].seconds}`,
        '202 p50 ms': fixed(accepted.p50, 1),
        '202 p99 ms': fixed(accepted.p99, 1),
        'CPU ms/order': fixed((1000 * cpu) / answers.length, 2),
        'peak RSS MiB': peak,
        'load generator paused ms': paused,
        'load before / after': `${loadBefore} / ${load()}`,
      },
    ];
  }
  const surgeEnded = startedAt + (PHASES[0].seconds + PHASES[1].seconds) * 1000;

  const placed = new Set(answers.filter((a) => a.orderId).map((a) => a.orderId!));
  const orders = (await settled(warm.length + placed.size)).filter((o) => placed.has(o.orderId as string));
  const cpu = (await cpuSeconds(bases)) - cpuBefore;
  const byId = new Map(orders.map((o) => [o.orderId as string, o]));
  const settledAt = (a: Answer) => Date.parse(byId.get(a.orderId!)!.updatedAt as string);
  const surge = answers.filter((a) => a.phase === 1 && a.orderId);
  const confirmed = orders.filter((o) => o.status === 'confirmed').length;
  const refused = answers.filter((a) => a.status !== 202);

  const rows: Row[] = PHASES.map(({ name, rate, seconds }, phase) => {
    const accepted = acceptedIn(phase);
    return {
      profile,
      phase: `${name}: ${rate}/s for ${seconds} s`,
      '202': accepted.operations,
      '202 p50 ms': fixed(accepted.p50, 1),
      '202 p99 ms': fixed(accepted.p99, 1),
    };
  });
  rows.push({
    profile,
    phase: 'drain',
    '202': `${answers.length - refused.length}/${answers.length}${refused.length ? ` (${refused[0]!.status} ${refused[0]!.problem})` : ''}`,
    confirmed: `${confirmed}/${orders.length}`,
    'surge settled after its end s': fixed((Math.max(...surge.map(settledAt)) - surgeEnded) / 1000, 2),
    'CPU ms/order': fixed((1000 * cpu) / answers.length, 2),
    'peak RSS MiB': peak,
    'load generator paused ms': paused,
    'load before / after': `${loadBefore} / ${load()}`,
  });
  for (const p of processes) await p.stop();
  return rows;
}

const rows: Row[] = [];
const common = { JWT_SECRET, PASSWORD_HASH_COST: '10' };
/** The embedded profile on a data directory of its own: one process, or (`apiAlone`) its API only. */
async function embedded(apiAlone: boolean) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-spike-'));
  const env = { ...common, DATA_DIR: dataDir, ...(apiAlone ? { ROLE: 'api' } : {}) };
  rows.push(...(await spike('embedded', env, async () => [await startPlatformProcess(env)], apiAlone)));
  rmSync(dataDir, { recursive: true, force: true });
}

/** The services profile on a scratch database: an API process and a worker, or (`apiAlone`) the API only. */
async function services(apiAlone: boolean) {
  const scratch = await scratchDatabase('bench_spike');
  const env = {
    ...common,
    DATABASE_URL: scratch.url,
    REDIS_URL: serviceUrl('REDIS_URL'),
    REDIS_KEY_PREFIX: `bench:spike:${randomBytes(4).toString('hex')}:`,
    DATABASE_POOL_SIZE: '16',
  };
  const start = async () => [
    await startPlatformProcess({ ...env, ROLE: 'api' }),
    ...(apiAlone ? [] : [await startPlatformProcess({ ...env, ROLE: 'worker' })]),
  ];
  rows.push(...(await spike('services', env, start, apiAlone)));
  await scratch.drop();
}

const runs = CEILING ? [false, true] : [false];
if (PROFILES.includes('embedded')) for (const apiAlone of runs) await embedded(apiAlone);
if (PROFILES.includes('services')) for (const apiAlone of runs) await services(apiAlone);
printTable(
  `Spike: checkouts offered ${BASE_RATE}/s, then ${PEAK_RATE}/s, then ${BASE_RATE}/s (open loop, load generator on the same 2 cores)`,
  rows,
);
process.exit(0);
