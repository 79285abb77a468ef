import { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlRow, SqlTransaction } from './sql-client.ts';

/**
 * PostgreSQL compiled to WebAssembly, in this process (the embedded profile). `dataDir` persists it;
 * without one it lives in memory. PGlite runs one statement at a time, so it needs no pool.
 */
export async function openPGlite(dataDir?: string): Promise<SqlClient> {
  const db = await PGlite.create(dataDir);

  const onConnection = (conn: Pick<PGlite, 'query' | 'exec'>): SqlTransaction => ({
    async query<Row extends SqlRow>(sql: string, params: readonly unknown[] = []) {
      const result = await conn.query<Row>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string) {
      await conn.exec(sql);
    },
  });

  return {
    dialect: 'pglite',
    ...onConnection(db),
    transaction: (work) => db.transaction((tx) => work(onConnection(tx))),
    close: () => db.close(),
  };
}
