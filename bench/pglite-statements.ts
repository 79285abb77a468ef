// Statements through PGlite's thread:   npm run bench:pglite
// The embedded profile's database runs on a thread of its own (src/db/pglite.ts); every statement is
// a message there and a reply back. Measured: BENCH_CALLERS (64) callers each sending `SELECT $1::int`
// back to back for BENCH_SECONDS (5) through the platform's PGlite client (in memory): statements a
// second, p50 / p99 per statement, the process's CPU per statement (both threads) and its RSS; beside
// the ceiling, the same statement run on PGlite in this thread with no messages (its raw protocol
// call, one at a time, as the thread runs them).
import { PGlite } from '@electric-sql/pglite';
import { serialize } from 'pg-protocol';
import { openPGlite } from '../src/db/pglite.ts';
import { fixed, printTable, rssMiB, runClosedLoop } from './lib/measure.ts';

const CALLERS = Number(process.env.BENCH_CALLERS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const db = await openPGlite();
await runClosedLoop(CALLERS, 1, (_, i) => db.query(`SELECT $1::int AS n`, [i])); // warm-up
const cpu0 = process.cpuUsage();
const threaded = await runClosedLoop(CALLERS, SECONDS, (_, i) => db.query(`SELECT $1::int AS n`, [i]));
const cpu = process.cpuUsage(cpu0);
const threadedRss = rssMiB();
await db.close();

const raw = await PGlite.create();
const bound = (i: number) =>
  Buffer.concat([
    serialize.bind({ statement: 's1', values: [String(i)] }),
    serialize.describe({ type: 'P' }),
    serialize.execute({}),
    serialize.sync(),
  ]);
await raw.execProtocolRawStream(serialize.parse({ name: 's1', text: `SELECT $1::int AS n` }), {
  onRawData: () => undefined,
});
const run = (i: number) =>
  raw.execProtocolRawStream(bound(i), { syncToFs: false, onRawData: () => undefined });
await runClosedLoop(1, 1, (_, i) => run(i));
const ceiling = await runClosedLoop(1, SECONDS, (_, i) => run(i));
await raw.close();

printTable(`PGlite statements: ${CALLERS} callers, SELECT $1::int, ${SECONDS} s, in memory`, [
  {
    measure: "through the platform's client (the thread)",
    'statements/s': Math.round(threaded.perSecond),
    'p50 ms': fixed(threaded.p50, 2),
    'p99 ms': fixed(threaded.p99, 2),
    'CPU µs/statement': fixed((cpu.user + cpu.system) / threaded.operations, 1),
    'RSS MiB': threadedRss,
    'of ceiling': `${Math.round((100 * threaded.perSecond) / ceiling.perSecond)}%`,
  },
  {
    measure: 'ceiling: PGlite in this thread, raw protocol, one at a time',
    'statements/s': Math.round(ceiling.perSecond),
    'p50 ms': fixed(ceiling.p50, 3),
    'p99 ms': fixed(ceiling.p99, 3),
  },
]);
process.exit(0);
