// Event store throughput on PostgreSQL, next to the ceiling of the same SQL issued without the platform.
//   npm run bench:eventstore            (BENCH_SECONDS=10 per scenario by default)
// Scenarios (32 concurrent writers): single-event appends spread over 10,000 streams, the same on one
// hot stream, batches of 50 events, then readAll over the whole log. Each platform figure is printed
// beside a plain `pg` loop issuing the same es_append statement with pre-built JSON (no validation,
// no hashing, no mapping), and beside pgbench running that statement from C where pgbench exists.
import { spawnSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { connectPostgres } from '../src/db/postgres.ts';
import type { NewEvent } from '../src/eventstore/event-store.ts';
import { SqlEventStore } from '../src/eventstore/sql-event-store.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, printTable, rssMiB, runClosedLoop, type Measurement } from './lib/measure.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WRITERS = 32;
const STREAMS = 10_000;
const BATCH = 50;

const scratch = await scratchDatabase('bench_es');
const db = connectPostgres({ connectionString: scratch.url, maxConnections: WRITERS });
await migrate(db);
const store = new SqlEventStore(db, { eventTypes: ['StockReserved'] });
const raw = new pg.Pool({ connectionString: scratch.url, max: WRITERS });

const metadata = {
  correlationId: randomUUID(),
  causationId: null,
  actor: { id: 'bench', role: 'system' },
  occurredAt: new Date().toISOString(),
};
const data = () => ({ sku: `SKU-${randomInt(STREAMS)}`, reservationId: randomUUID(), quantity: 1 });
const event = (): NewEvent => ({ type: 'StockReserved', data: data(), metadata });
const events = (n: number) => Array.from({ length: n }, event);
const streamId = () => `inventory-${randomInt(STREAMS)}`;

// The raw loop sends what es_append needs, built as cheaply as JavaScript allows.
const metadataJson = JSON.stringify(metadata);
const rawEvents = (n: number) =>
  '[' +
  Array.from(
    { length: n },
    () =>
      `{"eventId":"${randomUUID()}","type":"StockReserved","schemaVersion":1,"data":${JSON.stringify(data())},` +
      `"metadata":${metadataJson},"contentHash":"${'ab'.repeat(32)}"}`,
  ).join(',') +
  ']';
const rawAppend = (stream: string, n: number) =>
  raw.query(`SELECT outcome, stream_version, last_position FROM es_append($1, $2, $3::jsonb)`, [
    stream,
    -1,
    rawEvents(n),
  ]);

function pgbench(statement: string): number | undefined {
  const script = join(tmpdir(), `es-bench-${process.pid}.sql`);
  writeFileSync(script, `\\set s random(1, ${STREAMS})\n${statement}\n`);
  const result = spawnSync(
    'pgbench',
    ['-n', '-c', String(WRITERS), '-j', '2', '-T', String(SECONDS), '-f', script, scratch.url],
    {
      encoding: 'utf8',
    },
  );
  const tps = /tps = ([\d.]+)/.exec(result.stdout ?? '')?.[1];
  return tps ? Number(tps) : undefined;
}
const pgbenchEvent = (n: number) =>
  `(SELECT jsonb_agg(jsonb_build_object('eventId', gen_random_uuid(), 'type', 'StockReserved', 'schemaVersion', 1, ` +
  `'data', jsonb_build_object('sku', 'SKU-1', 'reservationId', gen_random_uuid(), 'quantity', 1), ` +
  `'metadata', '${metadataJson}'::jsonb, 'contentHash', repeat('ab', 32))) FROM generate_series(1, ${n}))`;

type Row = Record<string, string | number>;
const rows: Row[] = [];
const row = (
  scenario: string,
  unit: number,
  platform: Measurement,
  rawLoop: Measurement,
  pgbenchTps?: number,
): Row => ({
  scenario,
  'platform ev/s': fixed(platform.perSecond * unit),
  'p50 ms': fixed(platform.p50, 2),
  'p99 ms': fixed(platform.p99, 2),
  'raw pg ev/s': fixed(rawLoop.perSecond * unit),
  'raw p99 ms': fixed(rawLoop.p99, 2),
  'pgbench ev/s': pgbenchTps === undefined ? 'n/a' : fixed(pgbenchTps * unit),
  'platform/raw': `${fixed((100 * platform.perSecond) / rawLoop.perSecond)}%`,
  'platform/pgbench': pgbenchTps === undefined ? 'n/a' : `${fixed((100 * platform.perSecond) / pgbenchTps)}%`,
  'RSS MiB': rssMiB(),
});

console.log(
  `event store benchmark: ${WRITERS} writers, ${SECONDS}s per scenario, PostgreSQL at ${new URL(scratch.url).searchParams.get('host') ?? new URL(scratch.url).host}`,
);

{
  const rawLoop = await runClosedLoop(WRITERS, SECONDS, () => rawAppend(streamId(), 1));
  const platform = await runClosedLoop(WRITERS, SECONDS, () => store.append(streamId(), [event()], 'any'));
  const bench = pgbench(`SELECT * FROM es_append('inventory-' || :s, -1, ${pgbenchEvent(1)});`);
  rows.push(row(`1 event, ${STREAMS} streams`, 1, platform, rawLoop, bench));
}
{
  const rawLoop = await runClosedLoop(WRITERS, SECONDS, () => rawAppend('inventory-hot-raw', 1));
  const platform = await runClosedLoop(WRITERS, SECONDS, () =>
    store.append('inventory-hot', [event()], 'any'),
  );
  const bench = pgbench(`SELECT * FROM es_append('inventory-hot-pgbench', -1, ${pgbenchEvent(1)});`);
  rows.push(row('1 event, one hot stream', 1, platform, rawLoop, bench));
}
{
  const rawLoop = await runClosedLoop(WRITERS, SECONDS, () => rawAppend(streamId(), BATCH));
  const platform = await runClosedLoop(WRITERS, SECONDS, () =>
    store.append(streamId(), events(BATCH), 'any'),
  );
  const bench = pgbench(`SELECT * FROM es_append('inventory-' || :s, -1, ${pgbenchEvent(BATCH)});`);
  rows.push(row(`batches of ${BATCH}, ${STREAMS} streams`, BATCH, platform, rawLoop, bench));
}
printTable('appends', rows);

{
  const readWhole = async (readBatch: (after: unknown) => Promise<{ count: number; next: unknown }>) => {
    const t0 = performance.now();
    let total = 0;
    for (let after: unknown = undefined; ;) {
      const { count, next } = await readBatch(after);
      if (count === 0) break;
      total += count;
      after = next;
    }
    return { total, perSecond: total / ((performance.now() - t0) / 1000) };
  };
  const platform = await readWhole(async (after) => {
    const batch = await store.readAll({ after: after as never, maxCount: 1000 });
    return { count: batch.events.length, next: batch.next };
  });
  const rawRead = await readWhole(async (after) => {
    const [tx, pos] = (after as [string, number] | undefined) ?? ['0', 0];
    const { rows: r } = await raw.query(
      `SELECT global_position, transaction_id::text AS tx, stream_id, stream_version, event_id, type, schema_version,
              data, metadata, recorded_at, prev_hash, hash FROM es_events
        WHERE (transaction_id, global_position) > ($1::xid8, $2) AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY transaction_id, global_position LIMIT 1000`,
      [tx, pos],
    );
    const last = r.at(-1);
    return { count: r.length, next: last ? [last.tx, Number(last.global_position)] : after };
  });
  printTable('readAll (batches of 1000, whole log)', [
    {
      events: platform.total,
      'platform ev/s': fixed(platform.perSecond),
      'raw pg ev/s': fixed(rawRead.perSecond),
      'platform/raw': `${fixed((100 * platform.perSecond) / rawRead.perSecond)}%`,
      'RSS MiB': rssMiB(),
    },
  ]);
}

await store.close();
await db.close();
await raw.end();
await scratch.drop();
