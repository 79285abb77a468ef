// HTTP benchmarks:   npm run bench:http   (BENCH_PROFILES=embedded,postgres)
// The platform runs as operators run it, in its own processes (embedded: one process, ROLE=all;
// PostgreSQL: an API process and a worker process); this process only generates load, on the same
// two cores. Measured:
//  1. product detail requests/s with p50/p99, beside a bare Fastify route answering the same JSON
//     from memory (the ceiling), both served from a separate process;
//  2. items added to carts/s with p50/p99 (POST /cart/items, closed loop, 32 connections): signed-in
//     customers (BENCH_CART_CUSTOMERS, 256, each with one item in the cart already) in turn, each
//     request one unit of the next of 20 SKUs;
//  3. accepted checkouts/s with p99 (closed loop, 32 connections, every request a fresh customer);
//  4. at a fixed offered rate (open loop): the 202's latency, and the time from POST /checkout to
//     the order confirmed, p50/p99; and a second table, when each event of those orders' streams
//     was recorded after its POST /checkout (p50/p99): which step of the saga the time goes to.
// Each row also has the highest RSS of any platform process while it was measured (sampled from its
// /metrics every 500 ms) and the machine's 1-minute load average before / after.
// BENCH_SECONDS (default 10) per measurement, BENCH_CHECKOUTS (default 3000) for the third,
// BENCH_RATE (default 200) orders/s for the fourth, measured after BENCH_WARMUP (default 3) seconds
// at that rate. BENCH_ONLY picks measurements, comma-separated: detail, cart, accepted, confirmation
// (e.g. BENCH_ONLY=confirmation runs the fourth alone).
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { demoCatalog } from '../src/seed/demo-catalog.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, offerAtRate, printTable, summarise, WARMUP_SECONDS, warmingUp } from './lib/measure.ts';
import { post } from './lib/http-client.ts';
import { sampleRss, scrapeMetrics } from './lib/metrics.ts';
import { startPlatformProcess } from './lib/platform-process.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const CHECKOUTS = Number(process.env.BENCH_CHECKOUTS ?? 3000);
const CART_CUSTOMERS = Number(process.env.BENCH_CART_CUSTOMERS ?? 256);
const CONNECTIONS = 32;
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const runs = (measurement: 'detail' | 'cart' | 'accepted' | 'confirmation') =>
  ONLY.length === 0 || ONLY.includes(measurement);
const PASSWORD = 'bench password 123';
const json = { 'content-type': 'application/json' };

type Row = Record<string, string | number>;
const rows: Row[] = [];
/** The order stream's events of the confirmation measurement, by when they were recorded. */
const steps: Row[] = [];
const load = () => loadavg()[0]!.toFixed(1);

/**
 * What `during` resolves with, and the columns every row has: the highest RSS any of the platform's
 * processes (at `processUrls`) reported meanwhile, and the 1-minute load average before / after.
 */
async function watched<T>(processUrls: readonly string[], during: () => Promise<T>): Promise<[T, Row]> {
  const loadBefore = load();
  const rss = sampleRss(processUrls);
  let result: T;
  try {
    result = await during(); // autocannon's answer is a thenable, not a Promise: no .finally
  } catch (error) {
    await rss.stop();
    throw error;
  }
  return [result, { 'peak RSS MiB': await rss.stop(), 'load before / after': `${loadBefore} / ${load()}` }];
}

const login = async (base: string, email: string) =>
  `Bearer ${(await post(`${base}/auth/login`, { email, password: PASSWORD })).token as string}`;

/** `count` new customers, each with one unit of a hot SKU in the cart, `parallel` at a time. */
async function customersWithCarts(base: string, count: number, skus: string[], parallel = 8) {
  const tokens: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const { token } = await post(`${base}/auth/register`, {
          email: `bench-${uuidv7()}@example.com`,
          password: PASSWORD,
        });
        const authorization = `Bearer ${token as string}`;
        await post(`${base}/cart/items`, { sku: skus[i % skus.length], quantity: 1 }, { authorization });
        tokens.push(authorization);
      }
    }),
  );
  return tokens;
}

async function untilQueueEmpty(base: string, admin: string, orderIds: string[]) {
  for (const orderId of orderIds)
    for (;;) {
      const order = (await (
        await fetch(`${base}/orders/${orderId}`, { headers: { authorization: admin } })
      ).json()) as {
        status: string;
      };
      if (order.status !== 'pending') break;
      await new Promise((r) => setTimeout(r, 50));
    }
}

/**
 * Until every projection that has run (it has a checkpoint) has applied every event: measurements
 * start from a platform at rest, not one still catching up with the set-up before them.
 */
async function untilProjectionsCaughtUp(base: string, admin: string) {
  for (;;) {
    const { projections } = (await (
      await fetch(`${base}/admin/projections`, { headers: { authorization: admin } })
    ).json()) as { projections: { checkpoint: unknown; lagSeconds: number }[] };
    if (projections.every((p) => p.checkpoint === null || p.lagSeconds === 0)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function measureProfile(profile: 'embedded' | 'postgres') {
  const scratch = profile === 'postgres' ? await scratchDatabase('bench_http') : undefined;
  const common = {
    DEMO_PASSWORD: PASSWORD,
    PASSWORD_HASH_COST: '10',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret!!',
  };
  const processes = scratch
    ? [
        await startPlatformProcess({
          ...common,
          DATABASE_URL: scratch.url,
          SEED_DEMO: 'true',
          ROLE: 'api',
          DATABASE_POOL_SIZE: '32',
        }),
        await startPlatformProcess({
          ...common,
          DATABASE_URL: scratch.url,
          ROLE: 'worker',
          DATABASE_POOL_SIZE: '32',
        }),
      ]
    : [await startPlatformProcess({ ...common, DATA_DIR: 'memory://' })];
  const base = processes[0]!.url;
  const admin = await login(base, 'admin@demo.local');
  const auditor = await login(base, 'auditor@demo.local');
  const skus = demoCatalog()
    .slice(0, 20)
    .map((p) => p.sku);
  for (const sku of skus)
    await post(`${base}/admin/inventory/${sku}/receive`, { quantity: 1_000_000 }, { authorization: admin });
  for (;;) {
    const detail = await fetch(`${base}/products/${skus[0]}`);
    if (detail.ok && ((await detail.json()) as { available: number }).available > 1000) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await untilProjectionsCaughtUp(base, admin);

  const processUrls = processes.map((p) => p.url);
  if (runs('detail')) await measureDetail(profile, base, skus, processUrls);
  if (runs('cart')) {
    await measureCart(profile, base, skus, processUrls);
    await untilProjectionsCaughtUp(base, admin);
  }
  if (runs('accepted')) await measureAcceptance(profile, base, auditor, skus, processUrls);
  if (runs('confirmation'))
    await measureConfirmation(profile, base, admin, auditor, skus, {
      processUrls,
      databaseUrl: scratch?.url,
    });

  for (const p of processes) await p.stop();
  await scratch?.drop();
}

async function measureDetail(profile: string, base: string, skus: string[], processUrls: string[]) {
  // 1. product detail, next to a bare Fastify route serving the same document from memory
  const document = await (await fetch(`${base}/products/${skus[0]}`)).text();
  const ceiling = await startBareRoute(document);
  const bareResult = await autocannon({
    url: `${ceiling.url}/products/${skus[0]}`,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  await ceiling.stop();
  const [detail, watch] = await watched(processUrls, () =>
    autocannon({ url: `${base}/products/${skus[0]}`, connections: CONNECTIONS, duration: SECONDS }),
  );
  rows.push({
    profile,
    measure: 'product detail',
    'req/s': fixed(detail.requests.average),
    'p50 ms': detail.latency.p50,
    'p99 ms': detail.latency.p99,
    'bare req/s': fixed(bareResult.requests.average),
    'bare p99 ms': bareResult.latency.p99,
    'of bare': `${fixed((100 * detail.requests.average) / bareResult.requests.average)}%`,
    ...watch,
  });
}

async function measureCart(profile: string, base: string, skus: string[], processUrls: string[]) {
  // 2. add to cart: signed-in customers in turn (never two requests at once for one cart while there
  // are more customers than connections), each request one unit of the next SKU
  const shoppers = await customersWithCarts(base, CART_CUSTOMERS, skus);
  let next = 0;
  const [added, watch] = await watched(processUrls, () =>
    autocannon({
      url: `${base}/cart/items`,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            const i = next++;
            const sku = skus[(1 + Math.floor(i / shoppers.length)) % skus.length];
            return {
              ...request,
              headers: { ...json, authorization: shoppers[i % shoppers.length]! },
              body: JSON.stringify({ sku, quantity: 1 }),
            };
          },
        },
      ],
    }),
  );
  rows.push({
    profile,
    measure: 'add to cart (POST /cart/items)',
    'req/s': fixed(added.requests.average),
    'p50 ms': added.latency.p50,
    'p99 ms': added.latency.p99,
    'non-2xx': added.non2xx,
    ...watch,
  });
}

async function measureAcceptance(
  profile: string,
  base: string,
  auditor: string,
  skus: string[],
  processUrls: string[],
) {
  // 3. checkout acceptance: every request a different customer with one item in the cart
  const buyers = await customersWithCarts(base, CHECKOUTS, skus);
  let next = 0;
  const placed: string[] = [];
  // The orders' confirmation afterwards is watched too: its memory is the checkouts' as much.
  const [accepted, watch] = await watched(processUrls, async () => {
    const result = await autocannon({
      url: `${base}/checkout`,
      connections: CONNECTIONS,
      amount: buyers.length,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => ({
            ...request,
            headers: {
              ...json,
              authorization: buyers[next++ % buyers.length]!,
              'idempotency-key': `bench-${uuidv7()}`,
            },
            body: JSON.stringify({ paymentMethod: 'pm_card_visa' }),
          }),
          onResponse: (_status, body) => void placed.push((JSON.parse(body) as { orderId: string }).orderId),
        },
      ],
    });
    await untilQueueEmpty(base, auditor, placed);
    return result;
  });
  rows.push({
    profile,
    measure: 'checkout accepted (202)',
    'req/s': fixed(accepted.requests.average),
    'p50 ms': accepted.latency.p50,
    'p99 ms': accepted.latency.p99,
    'non-2xx': accepted.non2xx,
    ...watch,
  });
}

/** CPU seconds the platform's processes used so far, and the commits of its database (PostgreSQL). */
async function workDone(processUrls: string[], databaseUrl?: string) {
  let cpu = 0;
  for (const url of processUrls) {
    const text = await scrapeMetrics(url);
    cpu += Number(/^process_cpu_seconds_total (\S+)/m.exec(text)?.[1] ?? 0);
  }
  let commits = 0;
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await new Promise((r) => setTimeout(r, 1_500)); // the statistics collector reports about once a second
    const { rows } = await client.query<{ n: string }>(
      `SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()`,
    );
    commits = Number(rows[0]?.n ?? 0);
    await client.end();
  }
  return { cpu, commits };
}

async function measureConfirmation(
  profile: string,
  base: string,
  admin: string,
  auditor: string,
  skus: string[],
  platform: { processUrls: string[]; databaseUrl?: string | undefined },
) {
  // 4. placement to confirmation at a fixed offered rate (open loop)
  // Orders placed during the warm-up are not measured (their work is counted in the work per order).
  const rateBuyers = await customersWithCarts(base, RATE * (WARMUP_SECONDS + SECONDS), skus);
  await untilProjectionsCaughtUp(base, admin);
  const before = await workDone(platform.processUrls, platform.databaseUrl);
  const sent = new Map<string, number>();
  const measured = new Set<string>();
  const acceptance: number[] = [];
  const failed: string[] = [];
  const started = performance.now();
  const [drained, watch] = await watched(platform.processUrls, async () => {
    await offerAtRate(rateBuyers.length, RATE, async (i) => {
      const at = Date.now();
      try {
        const { orderId } = await post(
          `${base}/checkout`,
          { paymentMethod: 'pm_card_visa' },
          { authorization: rateBuyers[i]!, 'idempotency-key': `rate-${uuidv7()}` },
        );
        sent.set(orderId as string, at);
        if (warmingUp(i, RATE)) return;
        measured.add(orderId as string);
        acceptance.push(Date.now() - at);
      } catch (error) {
        failed.push(String((error as Error).cause ?? error));
      }
    });
    await untilQueueEmpty(base, auditor, [...sent.keys()]);
    return performance.now();
  });
  const after = await workDone(platform.processUrls, platform.databaseUrl);
  const latencies: number[] = [];
  /** Per order event type: when it was recorded after POST /checkout was sent (where the time goes). */
  const reached = new Map<string, number[]>();
  for (const orderId of measured) {
    const events = (await (
      await fetch(`${base}/orders/${orderId}/events`, { headers: { authorization: auditor } })
    ).json()) as {
      type: string;
      recordedAt: string;
    }[];
    const confirmed = events.find((e) => e.type === 'OrderConfirmed');
    for (const { type, recordedAt } of events) {
      if (!reached.has(type)) reached.set(type, []);
      reached.get(type)!.push(Date.parse(recordedAt) - sent.get(orderId)!);
    }
    if (confirmed) latencies.push(Date.parse(confirmed.recordedAt) - sent.get(orderId)!);
  }
  const confirmation = summarise(latencies, SECONDS);
  for (const [type, after] of reached) {
    const { p50, p99 } = summarise(after, SECONDS);
    steps.push({
      profile,
      'order event': type,
      'after POST, p50 ms': p50,
      'p99 ms': p99,
      orders: after.length,
    });
  }
  const accepting = summarise(acceptance, SECONDS);
  rows.push({
    profile,
    measure: `checkout accepted (202) at ${RATE}/s`,
    'req/s': fixed(accepting.perSecond),
    'p50 ms': fixed(accepting.p50),
    'p99 ms': fixed(accepting.p99),
    ...watch,
  });
  rows.push({
    profile,
    measure: `POST /checkout -> confirmed at ${RATE}/s`,
    'req/s': RATE,
    'p50 ms': fixed(confirmation.p50),
    'p99 ms': fixed(confirmation.p99),
    confirmed: `${latencies.length}/${measured.size}${failed.length ? ` (${failed.length} failed: ${failed[0]})` : ''}`,
    // Work per order, less noisy than latency on a shared machine: platform CPU (API + worker), and
    // database transactions, read-only ones too (everything on the scratch database, projections and saga included).
    'CPU ms/order': fixed((1000 * (after.cpu - before.cpu)) / sent.size),
    'xacts/order': platform.databaseUrl ? fixed((after.commits - before.commits) / sent.size) : '',
    'drained s': fixed((drained - started) / 1000),
    ...watch,
  });
}

/** The ceiling: a bare Fastify route in its own process, answering the same bytes from memory. */
async function startBareRoute(document: string) {
  const { spawn } = await import('node:child_process');
  const script = `
    const Fastify = (await import('fastify')).default;
    const app = Fastify();
    const body = ${JSON.stringify(document)};
    app.get('/products/:sku', (_req, reply) => { reply.type('application/json; charset=utf-8').send(body); });
    console.log('serving on ' + await app.listen({ port: 0, host: '127.0.0.1' }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /serving on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
  return { url, stop: async () => void child.kill('SIGTERM') };
}

for (const profile of (process.env.BENCH_PROFILES ?? 'embedded,postgres').split(',') as (
  'embedded' | 'postgres'
)[])
  await measureProfile(profile);
printTable(
  `HTTP benchmark (${SECONDS}s per measurement, ${CONNECTIONS} connections, load generator on the same 2 cores)`,
  rows,
);
if (steps.length > 0)
  printTable('Where placement -> confirmation goes: each order event after POST /checkout', steps);
