// Stock as of a moment (`GET /inventory/:sku?asOf=`) on long inventory streams, both profiles: the
// stock-history read model (one index probe, plus the stream's events it does not hold yet) beside
// folding the whole stream, as the route did before, in the same run.
//   npm run bench:asof    (BENCH_PROFILES=embedded,postgres, BENCH_EVENTS=10000, BENCH_SECONDS=10)
// Two streams of BENCH_EVENTS events each, appended two events at a time: a SKU that sells (every
// checkout reserves, then commits, releases or expires; stock received, counted and returned now and
// then), and one whose stock is only received and counted. The projection then catches up, and each
// way is measured at random moments (a quarter of them an event's own recorded time) with 1 and 8
// queries in flight; the fold runs at least MIN_FOLDS times whatever it takes. Every answer the fold
// gave is then asked of the stock history, which must answer alike.
import { randomUUID } from 'node:crypto';
import { stateAsOf } from '../src/api/as-of.ts';
import { streams } from '../src/commands/index.ts';
import { migrate } from '../src/db/migrate.ts';
import { openPGlite } from '../src/db/pglite.ts';
import { connectPostgres } from '../src/db/postgres.ts';
import type { SqlClient } from '../src/db/sql-client.ts';
import { INVENTORY_EVENT_TYPES } from '../src/domain/event-types.ts';
import { inventoryDecider, type InventoryEvent } from '../src/domain/inventory/index.ts';
import type { EventStore, NewEvent, RecordedEvent } from '../src/eventstore/event-store.ts';
import { SqlEventStore } from '../src/eventstore/sql-event-store.ts';
import { stockAsOf, stockHistoryProjection, type StockAt } from '../src/projections/stock-history/index.ts';
import { loadCheckpoint, runSqlProjection } from '../src/subscriptions/index.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, printTable, summarise, type Measurement } from './lib/measure.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const PER_APPEND = 2;
const MIN_FOLDS = 5;

const metadata = () => ({
  correlationId: randomUUID(),
  causationId: null,
  actor: { id: 'bench', role: 'system' },
  occurredAt: new Date().toISOString(),
});

/** A SKU that sells: checkouts reserve and then commit, release or expire; restocks, counts, returns. */
function* checkouts(sku: string): Generator<InventoryEvent> {
  const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
  const at = () => new Date().toISOString();
  const committed: string[] = [];
  for (let n = 0; ; n++) {
    if (n % 50 === 0) yield { type: 'StockReceived', data: { sku, quantity: 100 } };
    if (n % 97 === 0) yield { type: 'StockAdjusted', data: { sku, delta: -1, reason: 'count' } };
    const reservationId = randomUUID();
    yield { type: 'StockReserved', data: { sku, reservationId, quantity: 1, expiresAt, reservedAt: at() } };
    const end = n % 4;
    if (end < 2) {
      yield { type: 'ReservationCommitted', data: { sku, reservationId, quantity: 1, committedAt: at() } };
      committed.push(reservationId);
    } else if (end === 2)
      yield {
        type: 'ReservationReleased',
        data: { sku, reservationId, quantity: 1, reason: 'declined', releasedAt: at() },
      };
    else yield { type: 'ReservationExpired', data: { sku, reservationId, quantity: 1, expiredAt: at() } };
    if (n % 23 === 0 && committed.length > 0)
      yield {
        type: 'ReservationReturned',
        data: { sku, reservationId: committed.shift()!, quantity: 1, reason: 'cancelled', returnedAt: at() },
      };
  }
}

/** A SKU whose stock is only received and counted (no reservations for the fold to carry). */
function* receiptsAndCounts(sku: string): Generator<InventoryEvent> {
  for (let n = 0; ; n++)
    yield n % 5 === 4
      ? { type: 'StockAdjusted', data: { sku, delta: -1, reason: 'count' } }
      : { type: 'StockReceived', data: { sku, quantity: 3 } };
}

const STREAMS = [
  { sku: 'BENCH-SELLS', kind: 'sells (reservations)', movements: checkouts },
  { sku: 'BENCH-COUNTED', kind: 'received and counted only', movements: receiptsAndCounts },
] as const;

async function appendStream(store: EventStore, sku: string, source: Generator<InventoryEvent>) {
  for (let written = 0; written < EVENTS;) {
    const batch: NewEvent[] = [];
    while (batch.length < Math.min(PER_APPEND, EVENTS - written))
      batch.push({ ...source.next().value!, metadata: metadata() });
    await store.append(streams.inventory(sku), batch, 'any');
    written += batch.length;
  }
}

/** `inFlight` callers back to back for `SECONDS`, and on until `minimum` calls were made. */
async function closedLoop(inFlight: number, minimum: number, call: () => Promise<unknown>) {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  let calls = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline || calls < minimum) {
        calls++;
        const t0 = performance.now();
        await call();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return summarise(latencies, (performance.now() - started) / 1000);
}

/** The process's peak RSS while `work` runs (PGlite's thread included; not a PostgreSQL server's). */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const result = await work();
    return { result, peakMiB: Math.round(Math.max(peak, process.memoryUsage().rss) / 1024 / 1024) };
  } finally {
    clearInterval(sampler);
  }
}

/** Random instants over the stream's span, a quarter of them an event's own recorded time. */
const momentsOf = (events: readonly RecordedEvent[]) => {
  const first = Date.parse(events[0]!.recordedAt);
  const span = Date.parse(events.at(-1)!.recordedAt) - first;
  return () =>
    Math.random() < 0.25
      ? events[Math.floor(Math.random() * events.length)]!.recordedAt
      : new Date(first - 5 + Math.floor(Math.random() * (span + 10))).toISOString();
};

async function measureProfile(profile: 'embedded' | 'postgres') {
  const scratch = profile === 'postgres' ? await scratchDatabase('bench_asof') : undefined;
  const db: SqlClient = scratch
    ? // The fold of a long stream keeps the event loop busy for seconds: no read timeout here.
      connectPostgres({ connectionString: scratch.url, maxConnections: 16, requestTimeoutMs: 600_000 })
    : await openPGlite();
  const store = new SqlEventStore(db, { eventTypes: INVENTORY_EVENT_TYPES });
  try {
    await migrate(db);
    await measure(profile, db, store);
  } finally {
    await store.close();
    await db.close();
    await scratch?.drop();
  }
}

async function measure(profile: string, db: SqlClient, store: EventStore) {
  const appendStarted = performance.now();
  for (const { sku, movements } of STREAMS) await appendStream(store, sku, movements(sku));
  const appendSeconds = (performance.now() - appendStarted) / 1000;
  const [head] = await db.query<{ position: string | number }>(
    `SELECT max(global_position) AS position FROM es_events`,
  );
  const projectionStarted = performance.now();
  const projection = await runSqlProjection(store, db, stockHistoryProjection, { batchSize: 500 });
  while ((await loadCheckpoint(db, stockHistoryProjection.name)).globalPosition < Number(head!.position))
    await new Promise((resolve) => setTimeout(resolve, 20));
  const catchUpSeconds = (performance.now() - projectionStarted) / 1000;
  await projection.stop();

  const rows: Record<string, string | number>[] = [];
  const row = (kind: string, way: string, inFlight: number, m: Measurement, peakMiB: number) => ({
    stream: kind,
    way,
    'in flight': inFlight,
    calls: m.operations,
    'calls/s': fixed(m.perSecond, m.perSecond < 10 ? 2 : 0),
    'p50 ms': fixed(m.p50, 2),
    'p99 ms': fixed(m.p99, 2),
    'peak RSS MiB': peakMiB,
  });
  let compared = 0;
  for (const { sku, kind } of STREAMS) {
    const stream = streams.inventory(sku);
    const moment = momentsOf(await store.readStream(stream));
    const fromHistory = (asOf: string) => stockAsOf({ db, store }, sku, asOf);
    const folded: [string, StockAt | undefined][] = [];
    const foldingTheStream = async (asOf: string) => {
      const { state, events } = await stateAsOf(store, inventoryDecider, stream, asOf);
      folded.push([asOf, events === 0 ? undefined : { onHand: state.onHand, reserved: state.reserved }]);
    };
    for (const inFlight of [1, 8]) {
      const history = await withPeakRss(() => closedLoop(inFlight, 0, () => fromHistory(moment())));
      rows.push(row(kind, 'stock history', inFlight, history.result, history.peakMiB));
      const fold = await withPeakRss(() =>
        closedLoop(inFlight, inFlight === 1 ? MIN_FOLDS : inFlight, () => foldingTheStream(moment())),
      );
      rows.push(row(kind, 'fold the stream (before)', inFlight, fold.result, fold.peakMiB));
    }
    for (const [asOf, answer] of folded) {
      const history = await fromHistory(asOf);
      if (JSON.stringify(history) !== JSON.stringify(answer))
        throw new Error(
          `${sku} at ${asOf}: stock history ${JSON.stringify(history)}, fold ${JSON.stringify(answer)}`,
        );
      compared++;
    }
  }
  printTable(
    `${profile}: stock as of a random moment, two streams of ${EVENTS} events (appended in ` +
      `${fixed(appendSeconds, 1)} s, projected in ${fixed(catchUpSeconds, 2)} s); ` +
      `${compared} answers of the fold given alike by the stock history`,
    rows,
  );
}

for (const profile of (process.env.BENCH_PROFILES ?? 'embedded,postgres').split(',') as (
  'embedded' | 'postgres'
)[])
  await measureProfile(profile);
