// A separate OS process that reserves units of one SKU:
// `node --import tsx reserve-worker.ts <db-url> <sku> <count> <wave> <name>`.
// Once connected, with the SKU's stream read into its command handler, it prints "ready". Then, for
// each line "go" on its standard input, it sends the next `wave` of its `count` reserve commands at once,
// and prints "wave" when they are answered. The test tells every worker "go" together, so each wave of
// each process races the other's for the same stream; after the last wave it prints one JSON line with
// what happened: what it reserved, what it was refused, and the version conflicts its appends met. Its
// events carry `name` as their actor id, so the log says which process appended what.
import { createInterface } from 'node:readline';
import { isRight } from 'fp-ts/lib/Either.js';
import { v7 as uuidv7 } from 'uuid';
import { inventoryCommands, inventoryStream } from './inventory-commands.ts';
import { connectPostgres } from '../../src/db/postgres.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';

const [url, sku, count, wave, name] = process.argv.slice(2);
if (!url || !sku || !count || !wave || !name)
  throw new Error('usage: reserve-worker.ts <db-url> <sku> <count> <wave> <name>');
const db = connectPostgres({ connectionString: url, maxConnections: 16 });
const store = new SqlEventStore(db, { eventTypes: DOMAIN_EVENT_TYPES });
// Small batches, one per wave: the processes must interleave many appends, not settle it in one each.
const commands = inventoryCommands(store, { maxBatch: Number(wave) });

const reserve = () => {
  const now = new Date();
  return commands.handle(
    inventoryStream(sku),
    {
      type: 'ReserveStock',
      data: {
        sku,
        reservationId: uuidv7(),
        quantity: 1,
        now: now.toISOString(),
        expiresAt: new Date(now.getTime() + 600_000).toISOString(),
      },
    },
    { actor: { id: name, role: 'customer' }, correlationId: uuidv7() },
  );
};

// Connected, the store's code loaded, and the stream's state cached: this process decides from what it
// read last, as a busy process does, and only a conflict makes it read the other's appends.
await commands.load(inventoryStream(sku));
const results: PromiseSettledResult<Awaited<ReturnType<typeof reserve>>>[] = [];
const lines = createInterface({ input: process.stdin });
console.log('ready');
for await (const line of lines) {
  if (line !== 'go') continue;
  const size = Math.min(Number(wave), Number(count) - results.length);
  results.push(...(await Promise.allSettled(Array.from({ length: size }, reserve))));
  if (results.length >= Number(count)) break;
  console.log('wave');
}
lines.close();

const outcome = { name, reserved: 0, insufficient: 0, other: [] as string[], stats: commands.stats };
for (const r of results) {
  if (r.status === 'rejected') outcome.other.push(String(r.reason));
  else if (isRight(r.value)) outcome.reserved++;
  else if (r.value.left.code === 'InsufficientStock') outcome.insufficient++;
  else outcome.other.push(r.value.left.code);
}
console.log(JSON.stringify(outcome));
await db.close();
