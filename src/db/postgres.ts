import pg from 'pg';
import type { SqlClient, SqlRow, SqlTransaction } from './sql-client.ts';

export type PostgresOptions = { connectionString: string; maxConnections?: number; applicationName?: string };

/** PostgreSQL through a `pg` connection pool (the server profile). */
export function connectPostgres(options: PostgresOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 20,
    application_name: options.applicationName ?? 'eventful-commerce',
  });
  // An idle client that loses its connection emits 'error'; the pool replaces it on the next checkout.
  pool.on('error', () => undefined);

  const onConnection = (client: pg.PoolClient | pg.Pool): SqlTransaction => ({
    async query<Row extends SqlRow>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query<Row>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  });

  return {
    dialect: 'postgres',
    ...onConnection(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(onConnection(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
