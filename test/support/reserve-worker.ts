// A separate OS process that reserves units of one SKU: `node --import tsx reserve-worker.ts <db-url> <sku> <count>`.
// Once connected it prints "ready" and waits for a line "go" on its standard input, so that several
// workers begin together however long each took to start; then it sends all its reserve commands at
// once and prints one JSON line with what happened.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { isRight } from 'fp-ts/lib/Either.js';
import { inventoryCommands } from './inventory-commands.ts';
import { connectPostgres } from '../../src/db/postgres.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { reserve } from './inventory.ts';

const [url, sku, count] = process.argv.slice(2);
const db = connectPostgres({ connectionString: url!, maxConnections: 16 });
const store = new SqlEventStore(db, { eventTypes: DOMAIN_EVENT_TYPES });
// Small batches: the two processes must interleave many appends, not settle it in one each.
const commands = inventoryCommands(store, { maxBatch: 10 });

await store.streamVersion(`inventory-${sku}`); // connected, and the store's code loaded
const lines = createInterface({ input: process.stdin });
const go = once(lines, 'line');
console.log('ready');
await go;
lines.close();
const results = await Promise.allSettled(
  Array.from({ length: Number(count) }, () => reserve(commands, sku!)),
);
const outcome = { reserved: 0, insufficient: 0, other: [] as string[], stats: commands.stats };
for (const r of results) {
  if (r.status === 'rejected') outcome.other.push(String(r.reason));
  else if (isRight(r.value)) outcome.reserved++;
  else if (r.value.left.code === 'InsufficientStock') outcome.insufficient++;
  else outcome.other.push(r.value.left.code);
}
console.log(JSON.stringify(outcome));
await db.close();
