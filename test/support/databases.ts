import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.ts';
import { openPGlite } from '../../src/db/pglite.ts';
import { connectPostgres } from '../../src/db/postgres.ts';
import type { SqlClient } from '../../src/db/sql-client.ts';
import { serviceUrl } from './services.ts';

export type TestDatabase = { db: SqlClient; url?: string; drop(): Promise<void> };

/** A new, migrated database of its own on the real PostgreSQL server, dropped afterwards. */
export async function freshPostgres(
  maxConnections = 20,
  options = { migrated: true },
): Promise<TestDatabase> {
  const serverUrl = serviceUrl('DATABASE_URL');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = connectPostgres({ connectionString: url.toString(), maxConnections });
  if (options.migrated) await migrate(db);
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** A migrated in-memory PGlite. */
export async function freshPGlite(): Promise<TestDatabase> {
  const db = await openPGlite();
  await migrate(db);
  return { db, drop: () => db.close() };
}

/** `db`, its background client too, telling `seen` of every statement before sending it (as sent). */
export function watched(
  db: SqlClient,
  seen: (sql: string, params: readonly unknown[] | undefined) => void,
): SqlClient {
  const watch = (client: SqlClient): SqlClient => ({
    ...client,
    query: (sql, params, options) => (seen(sql, params), client.query(sql, params, options)),
  });
  return { ...watch(db), background: watch(db.background ?? db) };
}
