import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { serviceUrl } from '../../test/support/services.ts';

/** A new empty database on the server for one benchmark run; dropped by `drop`. */
export async function scratchDatabase(prefix: string) {
  // DATABASE_URL, else the PostgreSQL that `scripts/services.mjs up` started.
  const admin = serviceUrl('DATABASE_URL');
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
