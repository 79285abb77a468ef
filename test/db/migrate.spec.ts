import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, MigrationError, MIGRATIONS_DIR } from '../../src/db/migrate.ts';
import { openPGlite } from '../../src/db/pglite.ts';
import type { SqlClient } from '../../src/db/sql-client.ts';
import { freshPostgres } from '../support/databases.ts';

describe('forward-only migrations', () => {
  let dir: string;
  let db: SqlClient;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    db = await openPGlite();
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });
  const write = (name: string, sql: string) => writeFile(join(dir, name), sql);
  const tables = async () =>
    (
      await db.query<{ t: string }>(
        `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
      )
    ).map((r) => r.t);

  it('applies pending migrations in name order, records them, and applies nothing the second time', async () => {
    await write('0002_second.sql', 'CREATE TABLE second (id int REFERENCES first (id));');
    await write('0001_first.sql', 'CREATE TABLE first (id int PRIMARY KEY);');
    expect(await migrate(db, dir)).toEqual(['0001_first.sql', '0002_second.sql']);
    expect(await migrate(db, dir)).toEqual([]);
    await write('0003_third.sql', 'CREATE TABLE third (id int);');
    expect(await migrate(db, dir)).toEqual(['0003_third.sql']);
    expect(await tables()).toEqual(['first', 'schema_migrations', 'second', 'third']);
  });

  it('refuses to run when an applied migration was changed', async () => {
    await write('0001_first.sql', 'CREATE TABLE first (id int);');
    await migrate(db, dir);
    await write('0001_first.sql', 'CREATE TABLE first (id bigint);');
    await expect(migrate(db, dir)).rejects.toThrow(/0001_first.sql was changed after it was applied/);
  });

  it('refuses to run when an applied migration is missing', async () => {
    await write('0001_first.sql', 'CREATE TABLE first (id int);');
    await migrate(db, dir);
    await rm(join(dir, '0001_first.sql'));
    await expect(migrate(db, dir)).rejects.toBeInstanceOf(MigrationError);
  });

  it('applies nothing when one pending migration fails', async () => {
    await write('0001_first.sql', 'CREATE TABLE first (id int);');
    await write('0002_broken.sql', 'CREATE TABLE broken (id nosuchtype);');
    await expect(migrate(db, dir)).rejects.toThrow(/0002_broken.sql failed/);
    expect(await tables()).toEqual([]);
  });

  it('runs the project migrations on PostgreSQL, concurrently started twice, applying each once', async () => {
    const database = await freshPostgres(4, { migrated: false });
    try {
      const runs = await Promise.all([
        migrate(database.db, MIGRATIONS_DIR),
        migrate(database.db, MIGRATIONS_DIR),
      ]);
      const applied = runs.flat();
      expect(applied).toContain('0001_event_store.sql');
      expect(new Set(applied).size).toBe(applied.length);
      const rows = await database.db.query(`SELECT name FROM schema_migrations`);
      expect(rows).toHaveLength(applied.length);
    } finally {
      await database.drop();
    }
  });
});
