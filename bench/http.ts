// HTTP benchmarks, embedded (PGlite) and PostgreSQL profiles:   npm run bench:http
//  1. product detail requests/s with p50/p99, beside a bare Fastify route answering the same JSON
//     from memory in the same run (the ceiling; autocannon runs on the same two cores);
//  2. accepted checkouts/s with p99 (closed loop, 32 connections, every request a fresh customer);
//  3. time from POST /checkout to the order confirmed, p50/p99, at a fixed offered rate.
// BENCH_SECONDS (default 10) per measurement; BENCH_RATE (default 200) orders/s for the third.
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { buildServer } from '../src/api/server.ts';
import { streams } from '../src/commands/index.ts';
import { loadConfig } from '../src/config.ts';
import { openPlatform, type Platform } from '../src/platform.ts';
import { demoCatalog } from '../src/seed/demo-catalog.ts';
import { seedDemo } from '../src/seed/demo.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, printTable, rssMiB, summarise } from './lib/measure.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const CONNECTIONS = 32;
const HOT_SKUS = 20;

type Row = Record<string, string | number>;
const rows: Row[] = [];

async function load(url: string, options: Partial<autocannon.Options> = {}) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, ...options });
  return { perSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

async function customers(base: string, platform: Platform, count: number, skus: string[]) {
  const out: { token: string }[] = [];
  for (let i = 0; i < count; i++) {
    const email = `bench-${uuidv7()}@example.com`;
    await platform.users.register(email, 'bench password 123');
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench password 123' }),
    });
    const { token } = (await login.json()) as { token: string };
    await fetch(`${base}/cart/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ sku: skus[i % skus.length], quantity: 1 }),
    });
    out.push({ token });
  }
  return out;
}

async function measureProfile(profile: 'embedded' | 'postgres') {
  const scratch = profile === 'postgres' ? await scratchDatabase('bench_http') : undefined;
  const platform = await openPlatform(
    loadConfig({
      DATA_DIR: 'memory://',
      LOG_LEVEL: 'silent',
      PASSWORD_HASH_COST: '10',
      JWT_SECRET: 'bench-secret-bench-secret-bench-secret!!',
      ...(scratch ? { DATABASE_URL: scratch.url, DATABASE_POOL_SIZE: '32' } : {}),
    }),
  );
  await seedDemo(platform, { password: 'bench password 123' });
  const skus = demoCatalog()
    .slice(0, HOT_SKUS)
    .map((p) => p.sku);
  const admin = { actor: { id: 'bench', role: 'admin' }, correlationId: 'bench' };
  for (const sku of skus)
    await platform.commands.inventory.handle(streams.inventory(sku), { type: 'ReceiveStock', data: { sku, quantity: 1_000_000 } }, admin);
  await platform.startWorkers();
  const app = await buildServer(platform);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  // The catalog read model catches up with the seed before anything is measured.
  for (;;) {
    const list = (await (await fetch(`${base}/products?pageSize=1`)).json()) as { total: number };
    const detail = await fetch(`${base}/products/${skus[0]}`);
    if (list.total >= 1000 && detail.ok && ((await detail.json()) as { available: number }).available > 1000) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  // 1. product detail next to a bare route serving the same document from memory
  const document = await (await fetch(`${base}/products/${skus[0]}`)).text();
  const bare = Fastify();
  bare.get('/products/:sku', async (_request, reply) => reply.type('application/json').send(document));
  const bareBase = await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareResult = await load(`${bareBase}/products/${skus[0]}`);
  const detail = await load(`${base}/products/${skus[0]}`);
  await bare.close();
  rows.push({
    profile,
    measure: 'product detail',
    'req/s': fixed(detail.perSecond),
    'p50 ms': detail.p50,
    'p99 ms': detail.p99,
    'bare req/s': fixed(bareResult.perSecond),
    'bare p99 ms': bareResult.p99,
    'of bare': `${fixed((100 * detail.perSecond) / bareResult.perSecond)}%`,
    'RSS MiB': rssMiB(),
  });

  // 2. checkout acceptance, each request a different customer with one item in the cart
  const buyers = await customers(base, platform, Math.ceil(CONNECTIONS * SECONDS * 60), skus);
  let next = 0;
  const accepted = await autocannon({
    url: `${base}/checkout`,
    connections: CONNECTIONS,
    amount: buyers.length,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const buyer = buyers[next++ % buyers.length]!;
          return {
            ...request,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${buyer.token}`,
              'idempotency-key': `bench-${uuidv7()}`,
            },
            body: JSON.stringify({ paymentMethod: 'pm_card_visa' }),
          };
        },
      },
    ],
  });
  rows.push({
    profile,
    measure: 'checkout accepted (202)',
    'req/s': fixed(accepted.requests.average),
    'p50 ms': accepted.latency.p50,
    'p99 ms': accepted.latency.p99,
    'non-2xx': accepted.non2xx,
    'RSS MiB': rssMiB(),
  });
  await waitForQueue(platform);

  // 3. placement to confirmation at a fixed offered rate
  const rateBuyers = await customers(base, platform, RATE * SECONDS, skus);
  const sent = new Map<string, number>();
  const started = performance.now();
  await Promise.all(
    rateBuyers.map(async (buyer, i) => {
      const due = started + (i * 1000) / RATE;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      const at = Date.now();
      const response = await fetch(`${base}/checkout`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${buyer.token}`,
          'idempotency-key': `rate-${uuidv7()}`,
        },
        body: JSON.stringify({ paymentMethod: 'pm_card_visa' }),
      });
      sent.set(((await response.json()) as { orderId: string }).orderId, at);
    }),
  );
  await waitForQueue(platform);
  const latencies: number[] = [];
  for (const [orderId, at] of sent) {
    const confirmed = (await platform.store.readStream(streams.order(orderId))).find((e) => e.type === 'OrderConfirmed');
    if (confirmed) latencies.push(Date.parse(confirmed.recordedAt) - at);
  }
  const confirmation = summarise(latencies, SECONDS);
  rows.push({
    profile,
    measure: `POST /checkout -> confirmed at ${RATE}/s`,
    'req/s': RATE,
    'p50 ms': fixed(confirmation.p50),
    'p99 ms': fixed(confirmation.p99),
    confirmed: `${latencies.length}/${sent.size}`,
    'RSS MiB': rssMiB(),
  });

  await app.close();
  await platform.close();
  await scratch?.drop();
}

async function waitForQueue(platform: Platform) {
  for (;;) {
    const [row] = await platform.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM checkout_saga`);
    if (Number(row?.n) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const profile of (process.env.BENCH_PROFILES ?? 'embedded,postgres').split(',') as ('embedded' | 'postgres')[])
  await measureProfile(profile);
printTable(`HTTP benchmark (${SECONDS}s per measurement, ${CONNECTIONS} connections, load generator on the same machine)`, rows);
