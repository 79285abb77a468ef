/**
 * `npm run export -- [options]`: the event log as NDJSON (one event per line, the same fields as
 * `GET /streams`), for analysts and auditors. Reads the database the platform uses (DATABASE_URL, or
 * the embedded PGlite under DATA_DIR: stop the embedded platform first, PGlite has one user at a time)
 * and starts no workers. Exit codes: 0 done, 1 failed while exporting, 2 bad arguments or settings
 * (nothing written).
 */
import { existsSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { recordedEventView } from '../api/recorded-event.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { openPGlite } from '../db/pglite.ts';
import { connectPostgres } from '../db/postgres.ts';
import type { SqlClient } from '../db/sql-client.ts';
import { DOMAIN_EVENT_TYPES } from '../domain/event-types.ts';
import { UnknownPositionError } from '../eventstore/errors.ts';
import type { Checkpoint, RecordedEvent } from '../eventstore/event-store.ts';
import {
  parseCursor,
  readLog,
  readStreamLog,
  resolveCursor,
  type LogFilter,
} from '../eventstore/log-reader.ts';
import { SqlEventStore } from '../eventstore/sql-event-store.ts';
import { isStreamId, STREAM_CATEGORY } from '../eventstore/validation.ts';

const USAGE = `Usage: npm run export -- [options]

Writes events of the log as NDJSON, one event per line, in log order (one stream: in version order).

  --stream <id>        only this stream, e.g. order-0193… (not with --category)
  --category <name>    only streams of this category, e.g. order or inventory (repeat or comma-separate)
  --type <type>        only these event types, e.g. OrderPlaced (repeat or comma-separate)
  --from <cursor>      only events after this place in the log: a cursor <transactionId>.<position>
                       (the \`next\` of GET /streams) or an event's global position (0: the start)
  --since <time>       only events recorded at or after this ISO 8601 time (or date, UTC)
  --out <file>         write to this file (complete or not at all) instead of standard output
  --progress           report progress on standard error even when it is not a terminal
  --help               show this

Connects as the platform does: DATABASE_URL (PostgreSQL) or else DATA_DIR (embedded PGlite).
Exit codes: 0 done, 1 failed while exporting, 2 bad arguments or settings (nothing written).`;

class UsageError extends Error {}

type ExportOptions = Readonly<{
  streamId?: string;
  filter: LogFilter;
  from?: Checkpoint | number;
  out?: string;
  progress: boolean;
}>;

const list = (values: readonly string[] | undefined) =>
  values?.flatMap((v) => v.split(',')).filter((v) => v !== '');

const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/** The command line, checked completely before anything is opened or written. */
function parseExportArgs(argv: readonly string[], stderrIsTty: boolean): ExportOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        stream: { type: 'string' },
        category: { type: 'string', multiple: true },
        type: { type: 'string', multiple: true },
        from: { type: 'string' },
        since: { type: 'string' },
        out: { type: 'string' },
        progress: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const { stream, from, since, out } = values;
  const categories = list(values.category);
  const types = list(values.type);
  if (stream !== undefined && !isStreamId(stream))
    throw new UsageError(`--stream ${JSON.stringify(stream)} is not a stream id (<category>-<id>)`);
  if (stream !== undefined && categories?.length)
    throw new UsageError('--stream and --category cannot be combined: a stream has one category');
  for (const category of categories ?? [])
    if (!STREAM_CATEGORY.test(category))
      throw new UsageError(`--category ${JSON.stringify(category)} is not a stream category such as order`);
  const known = new Set(DOMAIN_EVENT_TYPES);
  for (const type of types ?? [])
    if (!known.has(type))
      throw new UsageError(
        `--type ${JSON.stringify(type)} is not an event type; known types: ${DOMAIN_EVENT_TYPES.join(', ')}`,
      );
  const after = from === undefined ? undefined : parseCursor(from);
  if (from !== undefined && after === undefined)
    throw new UsageError(
      `--from ${JSON.stringify(from)} is neither a cursor (<transactionId>.<position>) nor a global position`,
    );
  if (since !== undefined && !instant.safeParse(since).success)
    throw new UsageError(`--since ${JSON.stringify(since)} is not an ISO 8601 time or date`);
  if (out !== undefined) {
    if (out === '' || (existsSync(out) && statSync(out).isDirectory()))
      throw new UsageError(`--out ${JSON.stringify(out)} is not a file name`);
    if (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory())
      throw new UsageError(`--out ${JSON.stringify(out)}: the directory ${dirname(out)} does not exist`);
  }
  return {
    ...(stream !== undefined ? { streamId: stream } : {}),
    filter: {
      ...(types?.length ? { types } : {}),
      ...(categories?.length ? { categories } : {}),
      ...(since !== undefined ? { recordedFrom: new Date(since).toISOString() } : {}),
    },
    ...(after !== undefined ? { from: after } : {}),
    ...(out !== undefined ? { out } : {}),
    progress: Boolean(values.progress) || stderrIsTty,
  };
}

/** The platform's database, opened as the platform opens it, but only to read: no migration, no workers. */
async function openDatabase(config: Config): Promise<SqlClient> {
  if (config.DATABASE_URL)
    return connectPostgres({
      connectionString: config.DATABASE_URL,
      maxConnections: 1,
      applicationName: 'eventful-commerce-export',
    });
  if (config.DATA_DIR === 'memory://' || !existsSync(config.DATA_DIR))
    throw new UsageError(
      `no database to export: DATA_DIR ${config.DATA_DIR} does not exist (or set DATABASE_URL)`,
    );
  return openPGlite(config.DATA_DIR);
}

/** Progress on standard error, at most once a second: count and rate. */
function progressReporter(enabled: boolean) {
  const started = Date.now();
  let count = 0;
  let shown = started;
  const line = () => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    return `exported ${count.toLocaleString('en')} events (${Math.round(count / seconds).toLocaleString('en')} events/s)`;
  };
  const tty = process.stderr.isTTY;
  return {
    add(n: number) {
      count += n;
      if (!enabled || Date.now() - shown < 1000) return;
      shown = Date.now();
      process.stderr.write(tty ? `\r${line()}` : `${line()}\n`);
    },
    done() {
      if (enabled) process.stderr.write(tty ? `\r${line()}\n` : `${line()}\n`);
      return count;
    },
  };
}

type Sink = { write(text: string): Promise<void>; finish(): Promise<void>; abandon(): Promise<void> };

const waitFor = (write: (done: (error?: Error | null) => void) => void) =>
  new Promise<void>((resolve, reject) => write((error) => (error ? reject(error) : resolve())));

/** Standard output, or a file that appears under its name only once complete. */
async function openSink(out: string | undefined): Promise<Sink> {
  if (out === undefined)
    return {
      write: (text) => waitFor((done) => process.stdout.write(text, done)),
      finish: async () => undefined,
      abandon: async () => undefined,
    };
  const partial = `${out}.partial`;
  const file = await open(partial, 'w');
  return {
    write: async (text) => void (await file.write(text)),
    finish: async () => {
      await file.close();
      await rename(partial, out);
    },
    abandon: async () => {
      await file.close().catch(() => undefined);
      await rm(partial, { force: true });
    },
  };
}

async function runExport(options: ExportOptions, config: Config): Promise<number> {
  const db = await openDatabase(config);
  try {
    const [schema] = await db.query<{ ready: boolean }>(
      `SELECT to_regclass('es_events') IS NOT NULL AS ready`,
    );
    if (!schema?.ready)
      throw new UsageError('this database has no event store (run the platform or npm run migrate)');
    const store = new SqlEventStore(db, { eventTypes: DOMAIN_EVENT_TYPES });
    // A position that names no event is a bad argument: find out before writing anything.
    const from =
      options.from === undefined
        ? undefined
        : await resolveCursor(store, options.from).catch((error: unknown) => {
            throw error instanceof UnknownPositionError ? new UsageError(`--from: ${error.message}`) : error;
          });
    const batches: AsyncIterable<readonly RecordedEvent[]> = options.streamId
      ? readStreamLog(store, options.streamId, { ...(from ? { after: from } : {}), filter: options.filter })
      : (async function* () {
          for await (const batch of readLog(store, {
            ...(from ? { after: from } : {}),
            filter: options.filter,
          }))
            yield batch.events;
        })();
    const sink = await openSink(options.out);
    const progress = progressReporter(options.progress);
    try {
      for await (const events of batches) {
        if (events.length === 0) continue;
        await sink.write(events.map((e) => JSON.stringify(recordedEventView(e)) + '\n').join(''));
        progress.add(events.length);
      }
      await sink.finish();
    } catch (error) {
      await sink.abandon();
      throw error;
    }
    return progress.done();
  } finally {
    await db.close();
  }
}

async function main(): Promise<number> {
  try {
    const options = parseExportArgs(process.argv.slice(2), Boolean(process.stderr.isTTY));
    if (options === 'help') {
      console.log(USAGE);
      return 0;
    }
    await runExport(options, loadConfig());
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(`export: ${error.message}\n\n${error instanceof UsageError ? USAGE : ''}`.trimEnd());
      return 2;
    }
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0; // the reader stopped reading (e.g. `| head`)
    console.error(`export failed: ${(error as Error).message}`);
    return 1;
  }
}

// A closed pipe (e.g. `| head`) is reported to the pending write; nothing else needs to hear of it.
process.stdout.on('error', () => undefined);
process.exitCode = await main();
