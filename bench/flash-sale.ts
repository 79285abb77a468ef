// Flash sales:   npm run bench:flash-sale
// The platform runs as operators run it (embedded: one process; services: two API processes and a
// worker at BENCH_WORKER_NICE on PostgreSQL and Redis); this process is the crowd, on the same two cores.
//  1. a flash sale over HTTP, per profile: BENCH_BUYERS (5,000) buyers, each with one unit in the
//     cart, check out at once (BENCH_CONNECTIONS, 256, in flight) for BENCH_UNITS (500) units of one
//     SKU whose gate is on auto (it turns on by itself once the SKU is hot). Printed: the answers
//     (202 / 409), answers per second and their p50/p99, how long after the last answer the last
//     placed order settled (confirmed or cancelled: the moment its last buyer knows), the confirmed
//     count (must be the units), decisions counted at the gate, the platform's peak RSS. The services
//     profile's crowd is BENCH_SERVICES_BUYERS (10,000) for 100 units, spread over both API processes.
//  2. the gate alone (services): its Redis adapter, as the API processes call it, from
//     BENCH_GATE_CLIENTS (2) processes with BENCH_GATE_CONCURRENCY (64) calls in flight each, for
//     BENCH_SECONDS (10) on one SKU; decisions counted at the gate (its admitted + refused counters).
//  3. the ceiling, in the same run: redis-benchmark running the same admission script (EVALSHA) on one
//     SKU, 50 connections, without and with pipelining (16).
// The machine's load average (uptime) is printed with each figure. BENCH_PROFILES (embedded,services).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { HotRule } from '../src/gate/gate-store.ts';
import { ADMIT_SCRIPT, RedisGate } from '../src/gate/redis-gate.ts';
import { serviceUrl } from '../test/support/services.ts';
import { call, inParallel, JWT_SECRET, load, peakRss, prepareShop, sku, until } from './lib/crowd.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, printTable, rssMiB, summarise } from './lib/measure.ts';
import { startPlatformProcess } from './lib/platform-process.ts';

const PROFILES = (process.env.BENCH_PROFILES ?? 'embedded,services').split(',');
const BUYERS = Number(process.env.BENCH_BUYERS ?? 5_000);
const UNITS = Number(process.env.BENCH_UNITS ?? 500);
const SERVICES_BUYERS = Number(process.env.BENCH_SERVICES_BUYERS ?? 10_000);
const SERVICES_UNITS = Number(process.env.BENCH_SERVICES_UNITS ?? 100);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 256);
const WARMUP_BUYERS = Number(process.env.BENCH_WARMUP_BUYERS ?? 300);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const GATE_CLIENTS = Number(process.env.BENCH_GATE_CLIENTS ?? 2);
const GATE_CONCURRENCY = Number(process.env.BENCH_GATE_CONCURRENCY ?? 64);
const RULE: HotRule = { checkoutsPerSecond: 20, holdMs: 120_000 };

type Row = Record<string, string | number>;
type Sale = Readonly<{
  sku: string;
  warmSku: string;
  admin: string;
  buyers: readonly string[];
  warm: readonly string[];
}>;

/** Before the platform's processes start: the sale's SKU, a SKU to warm up on, the buyers. */
async function prepareSale(env: Record<string, string>, buyers: number, units: number): Promise<Sale> {
  const hot = sku('FLASH');
  const warmSku = sku('WARM');
  const shop = await prepareShop(
    env,
    [
      { sku: hot, title: 'Flash sale console', units },
      { sku: warmSku, title: 'Everyday kettle', units: WARMUP_BUYERS },
    ],
    buyers + WARMUP_BUYERS,
  );
  return {
    sku: hot,
    warmSku,
    admin: shop.admin,
    buyers: shop.customers.slice(0, buyers),
    warm: shop.customers.slice(buyers),
  };
}

/** A flash sale over HTTP: every buyer of `sale` at once, spread over `bases`. */
async function flashSale(profile: string, bases: readonly string[], sale: Sale, units: number): Promise<Row> {
  const base = bases[0]!;
  const { sku, admin, buyers: tokens } = sale;
  const buyers = tokens.length;
  await until('the gate counted the stock', async () => {
    const gate = await call(`${base}/admin/gate/${sku}`, 'GET', undefined, { authorization: admin });
    return gate.body.onHand === units;
  });
  // Shoppers fill their carts before the sale opens, each on the API process it will check out on.
  const fill = async (tokens: readonly string[], cartSku: string) => {
    await inParallel(tokens.length, 64, async (i) => {
      const added = await call(
        `${bases[i % bases.length]}/cart/items`,
        'POST',
        { sku: cartSku, quantity: 1 },
        {
          authorization: tokens[i]!,
        },
      );
      if (added.status >= 300) throw new Error(`add to cart: ${added.status} ${JSON.stringify(added.body)}`);
    });
  };
  await fill(sale.warm, sale.warmSku);
  await fill(tokens, sku);
  // Warm-up: a shop open for a while has its hot paths compiled and its connections open.
  const warm = await inParallel(sale.warm.length, 32, (i) =>
    call(
      `${bases[i % bases.length]}/checkout`,
      'POST',
      { paymentMethod: 'pm_card_visa' },
      {
        authorization: sale.warm[i]!,
        'idempotency-key': `warm-${i}-${sku}`,
      },
    ),
  );
  await inParallel(warm.length, 16, (i) =>
    until('the warm-up orders settled', async () => {
      const order = await call(`${base}/orders/${warm[i]!.body.orderId as string}`, 'GET', undefined, {
        authorization: admin,
      });
      return order.body.status !== 'pending';
    }),
  );

  const loadBefore = load();
  const firstSent = performance.now();
  const rush = inParallel(buyers, CONNECTIONS, async (i) => {
    const t0 = performance.now();
    const answer = await call(
      `${bases[i % bases.length]}/checkout`,
      'POST',
      { paymentMethod: 'pm_card_visa' },
      {
        authorization: tokens[i]!,
        'idempotency-key': `flash-${sku}-${i}`,
      },
    );
    return {
      status: answer.status,
      orderId: answer.body.orderId as string | undefined,
      ms: performance.now() - t0,
      at: Date.now(),
    };
  });
  const [answers, peak] = await peakRss(bases, rush);
  const lastAnswer = Math.max(...answers.map((a) => a.at));
  const seconds = (performance.now() - firstSent) / 1000;
  const loadAfter = load();

  const placed = answers.filter((a) => a.status === 202).map((a) => a.orderId!);
  const orders = await inParallel(placed.length, 16, async (i) => {
    let order: Record<string, unknown> = {};
    await until(`order ${placed[i]} settled`, async () => {
      order = (await call(`${base}/orders/${placed[i]}`, 'GET', undefined, { authorization: admin })).body;
      return order.status !== 'pending';
    });
    return order;
  });
  const lastSettled = Math.max(...orders.map((o) => Date.parse(o.updatedAt as string)));
  const confirmed = orders.filter((o) => o.status === 'confirmed').length;
  const gate = (await call(`${base}/admin/gate/${sku}`, 'GET', undefined, { authorization: admin })).body;
  const answered = summarise(
    answers.map((a) => a.ms),
    seconds,
  );
  const refusals = summarise(
    answers.filter((a) => a.status === 409).map((a) => a.ms),
    seconds,
  );
  const others = answers.filter((a) => a.status !== 202 && a.status !== 409).length;
  return {
    profile,
    'buyers / units': `${buyers} / ${units}`,
    '202 / 409': `${placed.length} / ${answers.length - placed.length - others}${others ? ` (+${others} other)` : ''}`,
    'answers/s': fixed(answered.perSecond),
    'answer p50 / p99 ms': `${fixed(answered.p50, 1)} / ${fixed(answered.p99, 1)}`,
    '409 p50 / p99 ms': `${fixed(refusals.p50, 1)} / ${fixed(refusals.p99, 1)}`,
    // Negative: the last placed order had settled before the crowd's last answer.
    'last answer -> last settled ms': lastSettled - lastAnswer,
    confirmed: `${confirmed}${confirmed === units ? '' : ` (NOT ${units})`}`,
    'gate decisions (/s)': `${Number(gate.admitted) + Number(gate.refused)} (${fixed((Number(gate.admitted) + Number(gate.refused)) / seconds)})`,
    'peak RSS MiB': peak,
    'load before / after': `${loadBefore} / ${loadAfter}`,
  };
}

/** The gate alone on one SKU: its Redis adapter from several processes, counted at the gate. */
async function gateAlone(redisUrl: string): Promise<Row[]> {
  const prefix = `bench:flash:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(redisUrl);
  const gate = new RedisGate({ redis, prefix });
  const sku = 'HOT-1';
  const units = 1_000;
  await gate.setMode(sku, 'on');
  await gate.count(sku, { version: 1, onHand: units, reserved: 0 }, []);
  const rows: Row[] = [];
  const counted = async () => {
    const [record] = await gate.records([sku]);
    return record!.admitted + record!.refused;
  };

  const before = await counted();
  const loadBefore = load();
  const children = Array.from({ length: GATE_CLIENTS }, (_, i) =>
    runChild(['gate-client', redisUrl, prefix, sku, String(SECONDS), String(GATE_CONCURRENCY), String(i)]),
  );
  const results = (await Promise.all(children)).map((file) => {
    const latencies = JSON.parse(readFileSync(file, 'utf8')) as number[];
    rmSync(file);
    return { latencies };
  });
  const decided = (await counted()) - before;
  const latencies = summarise(
    results.flatMap((r) => r.latencies),
    SECONDS,
  );
  const [record] = await gate.records([sku]);
  rows.push({
    measure: `gate (RedisGate.admit), ${GATE_CLIENTS} processes × ${GATE_CONCURRENCY} in flight`,
    'decisions/s at the gate': fixed(decided / SECONDS),
    'p50 / p99 ms': `${fixed(latencies.p50, 2)} / ${fixed(latencies.p99, 2)}`,
    'admitted / refused': `${record!.admitted} / ${record!.refused}`,
    load: `${loadBefore} / ${load()}`,
  });

  // The ceiling: the same script, straight from redis-benchmark (C, 50 connections).
  const sha = createHash('sha1').update(ADMIT_SCRIPT).digest('hex');
  await redis.script('LOAD', ADMIT_SCRIPT);
  const base = `${prefix}gate:{gate}:`;
  const { hostname, port } = new URL(redisUrl);
  for (const pipeline of [1, 16]) {
    const now = Date.now();
    const before = await counted();
    const loadBefore = load();
    const started = performance.now();
    const run = spawnSync(
      'redis-benchmark',
      [
        ...[
          '-h',
          hostname,
          '-p',
          port || '6379',
          '-c',
          '50',
          '-P',
          String(pipeline),
          '-n',
          String(pipeline === 1 ? 300_000 : 1_000_000),
        ],
        ...['-r', '1000000000', '--csv'],
        ...[
          'evalsha',
          sha,
          '5',
          `${base}orders`,
          `${base}deadlines`,
          `${base}known`,
          `${base}sku:${sku}`,
          `${base}pending:${sku}`,
        ],
        ...[`ceiling-__rand_int__`, String(now), '20', '120000', String(now + 30_000), sku, '1'],
      ],
      { encoding: 'utf8' },
    );
    const seconds = (performance.now() - started) / 1000;
    if (run.status !== 0) throw new Error(`redis-benchmark failed: ${run.stderr}`);
    const line = run.stdout.trim().split('\n').at(-1)!;
    const [, rps, , , , p50, , p99] = line.split(',').map((cell) => cell.replace(/"/g, ''));
    rows.push({
      measure: `ceiling: redis-benchmark EVALSHA of the admit script, 50 connections, pipeline ${pipeline}`,
      'decisions/s at the gate': fixed(((await counted()) - before) / seconds),
      'redis-benchmark req/s': fixed(Number(rps)),
      'p50 / p99 ms': `${p50} / ${p99}`,
      load: `${loadBefore} / ${load()}`,
    });
  }
  rows.push({
    measure: 'Redis used memory',
    'decisions/s at the gate': (await redis.info('memory')).match(/used_memory_human:(\S+)/)?.[1] ?? '?',
  });
  await dropKeys(redis, prefix);
  await redis.quit();
  return rows;
}

/** Every key under `prefix` (what a run left in the shared Redis). */
async function dropKeys(redis: Redis, prefix: string) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Runs this script again as a child with `args`; resolves with the last line it prints. */
function runChild(args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(output.trim().split('\n').at(-1)!)
        : reject(new Error(`gate client exited ${code}`)),
    ),
  );
}

/** A child: calls the gate back to back from `concurrency` callers for `seconds`, as an API process does. */
async function gateClient([redisUrl, prefix, sku, seconds, concurrency, n]: string[]) {
  const redis = new Redis(redisUrl!);
  const gate = new RedisGate({ redis, prefix: prefix! });
  await gate.admit(`warm-${n}`, [{ sku: sku!, quantity: 1 }], RULE, Date.now(), Date.now() + 30_000);
  const latencies: number[] = [];
  const deadline = performance.now() + Number(seconds) * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: Number(concurrency) }, async () => {
      while (performance.now() < deadline) {
        const orderId = `client-${n}-${next++}`;
        const t0 = performance.now();
        const now = Date.now();
        await gate.admit(orderId, [{ sku: sku!, quantity: 1 }], RULE, now, now + 30_000);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  await redis.quit();
  // Too long to read from a pipe before the child exits: the latencies go through a file.
  const file = join(tmpdir(), `flash-sale-gate-client-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(latencies));
  console.log(file);
}

async function main() {
  const rows: Row[] = [];
  const common = { JWT_SECRET, PASSWORD_HASH_COST: '10' };
  if (PROFILES.includes('embedded')) {
    // On disk, as `npm start` keeps it (./data), in a directory of its own.
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-flash-sale-'));
    const env = { ...common, DATA_DIR: dataDir };
    process.stdout.write(`embedded: ${BUYERS} buyers with a cart each…`);
    const sale = await prepareSale(env, BUYERS, UNITS);
    console.log(' ready');
    const platform = await startPlatformProcess(env);
    rows.push(await flashSale('embedded', [platform.url], sale, UNITS));
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  let gateRows: Row[] = [];
  if (PROFILES.includes('services')) {
    const redisUrl = serviceUrl('REDIS_URL');
    const scratch = await scratchDatabase('bench_flash');
    const env = {
      ...common,
      DATABASE_URL: scratch.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `bench:flash-sale:${randomBytes(4).toString('hex')}:`,
      DATABASE_POOL_SIZE: '16',
    };
    process.stdout.write(`services: ${SERVICES_BUYERS} buyers with a cart each…`);
    const sale = await prepareSale(env, SERVICES_BUYERS, SERVICES_UNITS);
    console.log(' ready');
    const worker = await startPlatformProcess({ ...env, ROLE: 'worker' });
    const apis = [
      await startPlatformProcess({ ...env, ROLE: 'api' }),
      await startPlatformProcess({ ...env, ROLE: 'api' }),
    ];
    rows.push(
      await flashSale(
        'services',
        apis.map((p) => p.url),
        sale,
        SERVICES_UNITS,
      ),
    );
    for (const p of [...apis, worker]) await p.stop();
    await scratch.drop();
    const redis = new Redis(redisUrl);
    await dropKeys(redis, env.REDIS_KEY_PREFIX);
    await redis.quit();
    gateRows = await gateAlone(redisUrl);
  }
  printTable('Flash sale over HTTP', rows);
  if (gateRows.length > 0) printTable('One SKU at the gate (services: Redis)', gateRows);
  console.log(
    `\nbench process peak RSS ${rssMiB()} MiB; uptime: ${spawnSync('uptime', { encoding: 'utf8' }).stdout.trim()}`,
  );
}

if (process.argv[2] === 'gate-client') await gateClient(process.argv.slice(3));
else await main();
process.exit(0);
