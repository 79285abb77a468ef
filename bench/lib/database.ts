import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** The PostgreSQL server to measure: DATABASE_URL, else the one `scripts/services.mjs up` started. */
export function serverUrl(): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const envFile = new URL('../../.services/env.json', import.meta.url);
  const url = existsSync(envFile) ? JSON.parse(readFileSync(envFile, 'utf8')).DATABASE_URL : undefined;
  if (!url) throw new Error('no PostgreSQL: set DATABASE_URL or run "npm run services up postgres"');
  return url;
}

/** A new empty database on the server for one benchmark run; dropped by `drop`. */
export async function scratchDatabase(prefix: string) {
  const admin = serverUrl();
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
