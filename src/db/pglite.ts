import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { types } from '@electric-sql/pglite';
import { serialize } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import type { BackendMessage, DataRowMessage, RowDescriptionMessage } from 'pg-protocol/dist/messages.js';
import type { SqlClient, SqlRow, SqlStatement, SqlTransaction } from './sql-client.ts';

// Parameters become text exactly as node-postgres makes them (the PostgreSQL adapter's driver), so
// both profiles send the same values for the same SQL.
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue(value: unknown): string | null;
};

type Reply = { id: number; result?: unknown; error?: { message: string } & Record<string, unknown> };
type Parsers = Record<number, (value: string, typeId?: number) => unknown>;

/**
 * PostgreSQL compiled to WebAssembly (the embedded profile), on a thread of its own
 * (`pglite-thread.mjs`), which does nothing but run PostgreSQL: this thread makes the protocol
 * messages and reads the replies (with node-postgres's own protocol library), so the database's
 * thread, the busier one, spends itself on the database only. `dataDir` persists it; without one
 * it lives in memory. PGlite runs one statement at a time, so it needs no pool.
 */
export async function openPGlite(dataDir?: string): Promise<SqlClient> {
  const thread = new Worker(new URL('./pglite-thread.mjs', import.meta.url), { workerData: { dataDir } });
  const pending = new Map<number, { resolve(result: unknown): void; reject(error: unknown): void }>();
  let nextId = 0;
  let broken: Error | undefined;

  const { arrayTypes } = await new Promise<{ arrayTypes: { oid: number; typarray: number }[] }>(
    (resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
    },
  );
  // Column values are read as PGlite reads them (its parsers, and its arrays of each type).
  const parsers: Parsers = { ...types.parsers };
  for (const { oid, typarray } of arrayTypes)
    parsers[typarray] = (value) => types.arrayParser(value, parsers[oid]!, typarray);

  // The thread keeps the process alive only while a call waits for it.
  thread.unref();
  thread.on('message', ({ id, result, error }: Reply) => {
    const call = pending.get(id)!;
    pending.delete(id);
    if (pending.size === 0) thread.unref();
    if (error) call.reject(Object.assign(new Error(error.message), error));
    else call.resolve(result);
  });
  const fail = (error: Error) => {
    broken ??= error;
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };
  thread.on('error', fail);
  thread.on('exit', (code) => fail(new Error(`the PGlite thread stopped (exit code ${code})`)));

  const call = <T>(message: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) => {
      if (broken) return reject(broken);
      const id = ++nextId;
      if (pending.size === 0) thread.ref();
      pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      // A statement's bytes go in a buffer of exactly their length, handed over. A small `Buffer` is a
      // view of Node's shared 8 KiB pool, and posting the view copied (and made the thread collect) the
      // whole pool each time: about half of a short statement's cost (docs/decisions/0029).
      const bytes = message.bytes === undefined ? undefined : new Uint8Array(message.bytes as Uint8Array);
      thread.postMessage({ ...message, bytes, id }, bytes ? [bytes.buffer] : []);
    });

  /** Statements parsed and planned once, by their SQL text: they are bound and run after that. */
  const prepared = new Map<string, string>();
  let statementsNamed = 0;

  /**
   * Statements in one exchange, as node-postgres sends each: Parse (the first time its text is seen
   * only: it is kept under a name), Bind (parameters as text, their types inferred by the server),
   * Describe, Execute; and one Sync at the end. PGlite's own `query` makes six exchanges of every
   * statement and parses and plans it each time; on this platform's short statements that, not running
   * them, was most of the database's time. PostgreSQL runs the statements before a Sync as one
   * implicit transaction: after an error it skips the rest and rolls them all back. Answers the rows.
   */
  const exchange = async <Row extends SqlRow>(
    run: (bytes: Buffer) => Promise<Uint8Array>,
    statements: readonly SqlStatement[],
    replanned = false,
  ): Promise<Row[]> => {
    const parsing: [sql: string, name: string][] = [];
    const named = new Map<string, string>(); // parsed in this exchange, for a text that comes again
    const messages: Buffer[] = [];
    for (const { sql, params } of statements) {
      let name = prepared.get(sql) ?? named.get(sql);
      if (name === undefined) {
        name = prepared.size + named.size < MAX_PREPARED ? `s${++statementsNamed}` : '';
        messages.push(serialize.parse({ name, text: sql }));
        if (name) named.set(sql, name);
        parsing.push([sql, name]);
      }
      messages.push(
        serialize.bind({ statement: name, values: params.map((value) => prepareValue(value)) }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
      );
    }
    messages.push(serialize.sync());
    const { rows, parsed, error } = readReply<Row>(await run(Buffer.concat(messages)), parsers);
    // The statements parsed before an error stay prepared (the database keeps them whatever happens).
    for (const [sql, name] of parsing.slice(0, parsed)) if (name) prepared.set(sql, name);
    if (!error) return rows;
    // A table a statement reads changed its columns since it was prepared: prepare them anew.
    if (!replanned && error.code === '0A000') {
      for (const { sql } of statements) prepared.delete(sql);
      return exchange(run, statements, true);
    }
    throw error;
  };
  const statement = <Row extends SqlRow>(
    run: (bytes: Buffer) => Promise<Uint8Array>,
    sql: string,
    params: readonly unknown[],
  ) => exchange<Row>(run, [{ sql, params }]);
  // A statement alone, outside any transaction: a background one waits while any other does.
  const alone = (background: boolean) => (bytes: Buffer) =>
    call<Uint8Array>({ op: 'run', bytes, background });

  /** A transaction: opened by its first statement, in the same message (the database is held one exchange less). */
  const transaction =
    (background: boolean): SqlClient['transaction'] =>
    async (work) => {
      let opened: Promise<{ tx: number; reply?: Uint8Array }> | undefined;
      const open = (bytes?: Buffer) => (opened ??= call({ op: 'begin', bytes, background }));
      const inside = async (bytes: Buffer) => {
        if (!opened) return (await open(bytes)).reply!;
        return call<Uint8Array>({ op: 'tx-run', tx: (await opened).tx, bytes });
      };
      const end = async (op: 'commit' | 'rollback') => {
        if (opened) await call({ op, tx: (await opened).tx });
      };
      let result;
      try {
        result = await work({
          query: <Row extends SqlRow>(sql: string, params: readonly unknown[] = []) =>
            statement<Row>(inside, sql, params),
          exec: async (sql) => call({ op: 'tx-exec', tx: (await open()).tx, sql }),
        } satisfies SqlTransaction);
      } catch (error) {
        await end('rollback').catch(() => undefined);
        throw error;
      }
      await end('commit');
      return result;
    };

  // Background work (projections, sagas, bookkeeping) waits while a shopper's statement or
  // transaction does (see pglite-thread.mjs).
  const client = (background: boolean): SqlClient => {
    const lane = alone(background);
    return {
      dialect: 'pglite',
      query: <Row extends SqlRow>(sql: string, params: readonly unknown[] = []) =>
        statement<Row>(lane, sql, params),
      exec: (sql) => call({ op: 'exec', sql }),
      transaction: transaction(background),
      pipeline: async (statements) => void (await exchange(lane, statements)),
      async close() {
        if (!broken) await call({ op: 'close' });
        await thread.terminate();
      },
    };
  };
  return { ...client(false), background: client(true) };
}

/** Statements kept prepared at most (the platform has far fewer). */
const MAX_PREPARED = 500;

/** The rows of a reply, how many of its Parse messages were done, and its error if one failed. */
function readReply<Row extends SqlRow>(reply: Uint8Array, parsers: Parsers) {
  const rows: Row[] = [];
  let parsed = 0;
  let error: (Error & { code?: string }) | undefined;
  let columns: { name: string; parse: Parsers[number] | undefined; typeId: number }[] = [];
  new Parser().parse(
    Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength),
    (message: BackendMessage) => {
      switch (message.name) {
        case 'parseComplete':
          parsed++;
          break;
        case 'rowDescription':
          columns = (message as RowDescriptionMessage).fields.map((f) => ({
            name: f.name,
            parse: parsers[f.dataTypeID],
            typeId: f.dataTypeID,
          }));
          break;
        case 'dataRow': {
          const row: SqlRow = {};
          const values = (message as DataRowMessage).fields;
          for (let i = 0; i < columns.length; i++) {
            const { name, parse, typeId } = columns[i]!;
            const value = values[i];
            row[name] =
              value === null || value === undefined || !parse ? (value ?? null) : parse(value, typeId);
          }
          rows.push(row as Row);
          break;
        }
        case 'error':
          error = message as unknown as Error & { code?: string };
          break;
      }
    },
  );
  return { rows, parsed, error };
}
