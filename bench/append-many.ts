// Appends made together:   npm run bench:append-many
// One process calls `es_append_many` (migration 0028: a call's appends made together) and
// `es_append_each` (0013's way: one `es_append` after another) in turn with the same kind of input:
// BENCH_CALLS (60) calls of 64 single-event appends each, to new streams and to streams that exist,
// on PGlite and on PostgreSQL, twice each (the second round with the statements' plans cached).
// Printed: microseconds per append, and the process's peak RSS.
import { freshPGlite, freshPostgres, type TestDatabase } from '../test/support/databases.ts';
import { TEST_EVENT_TYPES, thing } from '../test/support/events.ts';
import { appendPayload, prepareEvents } from '../src/eventstore/validation.ts';
import { fixed, printTable } from './lib/measure.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 60);
const APPENDS = 64;
const types = new Set(TEST_EVENT_TYPES);
let streams = 0;

const call = (existing: boolean) =>
  `[${Array.from({ length: APPENDS }, (_, i) => {
    const id = existing ? `existing-${i}` : `new-${streams++}`;
    const events = prepareEvents(id, [thing({ n: i, text: 'x'.repeat(300) })], types);
    return `{"streamId":"${id}","expectedVersion":-1,"events":${appendPayload(events)}}`;
  }).join(',')}]`;

const rows: Record<string, string | number>[] = [];
for (const [database, open] of [
  ['PGlite', freshPGlite],
  ['PostgreSQL', () => freshPostgres(4)],
] as const) {
  const { db, drop }: TestDatabase = await open();
  for (const round of [1, 2])
    for (const way of ['es_append_many', 'es_append_each'])
      for (const existing of [false, true]) {
        const inputs = Array.from({ length: CALLS }, () => call(existing));
        const sql = `SELECT * FROM ${way}($1::jsonb, '250ms')`;
        const started = performance.now();
        for (const input of inputs) await db.query(sql, [input]);
        const us = ((performance.now() - started) * 1000) / (CALLS * APPENDS);
        rows.push({
          database,
          round,
          way,
          streams: existing ? 'existing' : 'new',
          'µs per append': fixed(us, 1),
          'peak RSS MiB': Math.round(process.resourceUsage().maxRSS / 1024),
        });
      }
  await drop();
}
printTable(`Appends made together: ${CALLS} calls of ${APPENDS} single-event appends`, rows);
process.exit(0);
