// Projection rebuild throughput on PostgreSQL: generates a log of about a million events into a fresh
// database (products, stock movements, orders through their lifecycle), then rebuilds the catalog and
// order-history projections from position 0 beside the live tables and swaps them in.
//   npm run bench:rebuild              (BENCH_EVENTS=1000000, BENCH_BATCH=10000 events per read)
// The ceiling beside each rebuild, in the same run: the replay's reads alone, the same paged statement
// over the whole log from a plain `pg` client, rows left as text and discarded (no decoding, no
// writes). The machine's 1-minute load average is printed before / after each rebuild.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { connectPostgres } from '../src/db/postgres.ts';
import { DOMAIN_EVENT_TYPES } from '../src/domain/event-types.ts';
import type { NewEvent } from '../src/eventstore/event-store.ts';
import { SqlEventStore } from '../src/eventstore/sql-event-store.ts';
import { createCatalogProjection } from '../src/projections/catalog/index.ts';
import { orderHistoryProjection } from '../src/projections/orders/order-history.ts';
import { rebuildSqlProjection } from '../src/subscriptions/index.ts';
import { applyBatch, type SqlProjection } from '../src/subscriptions/index.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, printTable, rssMiB } from './lib/measure.ts';

const TARGET = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 10_000);
const WRITERS = 16;
const SKUS = Math.max(10, Math.round(TARGET / 200));
const STOCK_EVENTS_PER_SKU = 120;
const EVENTS_PER_ORDER = 7;

const scratch = await scratchDatabase('bench_rebuild');
const db = connectPostgres({ connectionString: scratch.url, maxConnections: WRITERS + 4 });
await migrate(db);
const store = new SqlEventStore(db, { eventTypes: DOMAIN_EVENT_TYPES });

const metadata = () => ({
  correlationId: randomUUID(),
  causationId: null,
  actor: { id: 'bench', role: 'system' },
  occurredAt: new Date().toISOString(),
});
const event = (type: string, data: unknown): NewEvent => ({ type, data, metadata: metadata() });
const sku = (i: number) => `SKU-${String(i).padStart(6, '0')}`;
const at = () => new Date().toISOString();

/** A product listed, then re-priced three times. */
const productStream = (i: number): [string, NewEvent[]] => [
  `product-${sku(i)}`,
  [
    event('ProductListed', {
      sku: sku(i),
      title: `Product ${i}`,
      description: `A generated product, number ${i}`,
      brand: `Brand ${i % 50}`,
      category: `Category ${i % 20}`,
      attributes: { colour: ['red', 'green', 'blue'][i % 3], weight: i % 17 },
      price: { amount: 1000 + (i % 500), currency: 'USD' },
      at: at(),
    }),
    ...[1, 2, 3].map((n) =>
      event('ProductPriceChanged', {
        sku: sku(i),
        price: { amount: 1000 + n * 10, currency: 'USD' },
        at: at(),
      }),
    ),
  ],
];

/** Stock received, then reservations that are committed, released or expired. */
const inventoryStream = (i: number): [string, NewEvent[]] => {
  const events = [event('StockReceived', { sku: sku(i), quantity: 1_000_000 })];
  const expiresAt = new Date(Date.now() + 600_000).toISOString();
  for (let n = 0; events.length < STOCK_EVENTS_PER_SKU; n++) {
    const reservationId = randomUUID();
    events.push(event('StockReserved', { sku: sku(i), reservationId, quantity: 1, expiresAt }));
    const end = ['ReservationCommitted', 'ReservationReleased', 'ReservationExpired'][n % 3]!;
    events.push(event(end, { sku: sku(i), reservationId, quantity: 1, reason: 'bench', now: at() }));
  }
  return [`inventory-${sku(i)}`, events];
};

/** An order placed, its lines reserved, paid, then confirmed and shipped, or cancelled. */
const orderStream = (i: number): [string, NewEvent[]] => {
  const orderId = randomUUID();
  const lines = [0, 1, 2].map((n) => ({
    sku: sku((i + n * 7) % SKUS),
    quantity: 1,
    unitPrice: { amount: 1000, currency: 'USD' },
    lineTotal: { amount: 1000, currency: 'USD' },
  }));
  const total = { amount: 3000, currency: 'USD' };
  const placed = event('OrderPlaced', {
    orderId,
    customerId: `customer-${i % 10_000}`,
    lines,
    total,
    paymentMethod: 'pm_card_visa',
    placedAt: at(),
  });
  const reserved = lines.map((l) =>
    event('OrderLineReserved', { orderId, sku: l.sku, quantity: 1, at: at() }),
  );
  const ending =
    i % 10 === 0
      ? [
          event('OrderPaymentFailed', { orderId, reason: 'card_declined', at: at() }),
          event('OrderCancelled', { orderId, reason: 'payment_failed', at: at() }),
        ]
      : [
          event('OrderPaymentAuthorized', { orderId, paymentId: orderId, amount: total, at: at() }),
          event('OrderConfirmed', { orderId, at: at() }),
        ];
  const events = [placed, ...reserved, ...ending];
  if (i % 10 !== 0) events.push(event('OrderShipped', { orderId, at: at() }));
  return [`order-${orderId}`, events];
};

/** Appends the streams with WRITERS concurrent appenders, one append per stream. */
async function appendAll(count: number, stream: (i: number) => [string, NewEvent[]]) {
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let i = next++; i < count; i = next++) {
        const [id, events] = stream(i);
        await store.append(id, events, 'no_stream');
      }
    }),
  );
}

const t0 = performance.now();
const orders = Math.max(
  1,
  Math.round((TARGET - SKUS * (4 + STOCK_EVENTS_PER_SKU)) / (EVENTS_PER_ORDER - 0.1)),
);
await appendAll(SKUS, productStream);
await appendAll(SKUS, inventoryStream);
await appendAll(orders, orderStream);
const [{ n: total } = { n: 0 }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM es_events`);
const generateSeconds = (performance.now() - t0) / 1000;
console.log(
  `generated ${total.toLocaleString('en-US')} events (${SKUS} products, ${orders} orders) in ${fixed(generateSeconds, 1)} s ` +
    `(${fixed(total / generateSeconds).toLocaleString('en-US')} events/s)`,
);

/** The live projection's state before the rebuild: it follows the log as the platform would. */
async function catchUpLive(projection: SqlProjection) {
  for (let batch = await store.readAll({ maxCount: 10_000 }); batch.events.length > 0;) {
    await applyBatch(db, projection, batch.events);
    batch = await store.readAll({ after: batch.next, maxCount: 10_000 });
  }
}

/**
 * The ceiling: the statement the replay pages through the log with (the projection's types' payloads
 * only), issued from a plain `pg` client, every value left as text; events/s.
 */
async function rawReads(types: readonly string[]) {
  const client = new pg.Client({
    connectionString: scratch.url,
    types: { getTypeParser: () => (v: string) => v },
  });
  await client.connect();
  const started = performance.now();
  let after: [string, string] = ['0', '0'];
  let scanned = 0;
  for (;;) {
    const { rows } = await client.query<{ tx: string; global_position: string }>(
      `SELECT global_position, transaction_id::text AS tx, stream_id, stream_version, event_id::text AS event_id,
              type, schema_version, recorded_at, prev_hash, hash, relevant,
              CASE WHEN relevant THEN data END AS data, CASE WHEN relevant THEN metadata END AS metadata
         FROM (SELECT *, type = ANY($4::text[]) AS relevant FROM es_events
                WHERE (transaction_id, global_position) > ($1::xid8, $2)
                  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY transaction_id, global_position LIMIT $3) AS page`,
      [after[0], after[1], BATCH, types],
    );
    if (rows.length === 0) break;
    scanned += rows.length;
    after = [rows.at(-1)!.tx, rows.at(-1)!.global_position];
  }
  const perSecond = scanned / ((performance.now() - started) / 1000);
  await client.end();
  return perSecond;
}

const load = () => loadavg()[0]!.toFixed(1);
const rows: Record<string, string | number>[] = [];
for (const projection of [createCatalogProjection(), orderHistoryProjection]) {
  const live0 = performance.now();
  await catchUpLive(projection);
  const liveSeconds = (performance.now() - live0) / 1000;
  const ceiling = await rawReads([...projection.eventTypes]);
  const loadBefore = load();
  let peakRss = rssMiB();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB())), 100);
  const result = await rebuildSqlProjection(db, projection, {
    batchSize: BATCH,
  });
  clearInterval(sampler);
  rows.push({
    projection: projection.name,
    events: result.events,
    'rebuild s': fixed(result.seconds, 1),
    'rebuild events/s': fixed(result.events / result.seconds),
    'raw SQL reads events/s (ceiling)': fixed(ceiling),
    'of ceiling': `${fixed((100 * result.events) / result.seconds / ceiling)}%`,
    'live catch-up events/s': fixed(total / liveSeconds),
    'peak RSS MiB': peakRss,
    'load before / after': `${loadBefore} / ${load()}`,
  });
}
printTable(`Rebuild from position 0 on PostgreSQL (read batches of ${BATCH} events)`, rows);

await db.close();
await scratch.drop();
