import { createRequire } from 'node:module';
import { parse, PGlite, protocol } from '@electric-sql/pglite';
import type { SqlClient, SqlRow, SqlTransaction } from './sql-client.ts';

// Parameters become text exactly as node-postgres makes them (the PostgreSQL adapter's driver), so
// one SQL text behaves alike on both databases.
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue(value: unknown): string | null;
};

/**
 * PostgreSQL compiled to WebAssembly, in this process (the embedded profile). `dataDir` persists it;
 * without one it lives in memory. PGlite runs one statement at a time, so it needs no pool.
 */
export async function openPGlite(dataDir?: string): Promise<SqlClient> {
  const db = await PGlite.create(dataDir);

  /** Statements parsed and planned once, by their SQL text: they are bound and run after that. */
  const prepared = new Map<string, string>();
  let statementsNamed = 0;

  /**
   * One statement in one exchange, as node-postgres sends it: Parse (the first time only: the
   * statement is kept under a name), Bind (parameters as text, their types inferred by the server),
   * Describe, Execute, Sync. PGlite's own `query` makes six exchanges of every statement and parses
   * and plans it each time; on this platform's short statements that, not running them, was most of
   * the database's time.
   */
  const statement = async <Row extends SqlRow>(
    sql: string,
    params: readonly unknown[],
    replanned = false,
  ): Promise<Row[]> => {
    let name = prepared.get(sql);
    const parsing = name === undefined;
    if (name === undefined) name = prepared.size < MAX_PREPARED ? `s${++statementsNamed}` : '';
    const { messages } = await db.execProtocol(
      concat([
        ...(parsing ? [protocol.serialize.parse({ name, text: sql })] : []),
        protocol.serialize.bind({ statement: name, values: params.map((value) => prepareValue(value)) }),
        protocol.serialize.describe({ type: 'P' }),
        protocol.serialize.execute({}),
        protocol.serialize.sync(),
      ]),
      { syncToFs: false, throwOnError: false },
    );
    if (parsing && name && messages.some((m) => m.name === 'parseComplete')) prepared.set(sql, name);
    const error = messages.find((m) => m.name === 'error');
    if (error) {
      // A table the statement reads changed its columns since it was prepared: prepare it anew.
      if (!replanned && !parsing && (error as { code?: string }).code === '0A000') {
        prepared.delete(sql);
        return statement(sql, params, true);
      }
      throw error;
    }
    return parse.parseResults(messages, db.parsers)[0]!.rows as Row[];
  };

  return {
    dialect: 'pglite',
    // Alone, a statement waits for any open transaction (as PGlite's `query` does) and then for
    // the database, and is written through to `dataDir` when it is done.
    query: <Row extends SqlRow>(sql: string, params: readonly unknown[] = []) =>
      db._runExclusiveTransaction(async () => {
        const rows = await db.runExclusive(() => statement<Row>(sql, params));
        await db.syncToFs();
        return rows;
      }),
    exec: async (sql) => void (await db.exec(sql)),
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          // Inside the transaction, which already holds the database for itself.
          query: (sql, params = []) => db.runExclusive(() => statement(sql, params)),
          exec: async (sql) => void (await tx.exec(sql)),
        } satisfies SqlTransaction),
      ),
    close: () => db.close(),
  };
}

/** Statements kept prepared at most (the platform has far fewer). */
const MAX_PREPARED = 500;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}
