import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inBackground, type SqlClient } from './sql-client.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export class MigrationError extends Error {
  override name = 'MigrationError';
}

type Migration = { name: string; sql: string; checksum: string };

async function loadMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (name) => {
      const sql = await readFile(join(dir, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Forward-only migrations: applies, in name order, every file of `dir` not yet recorded in
 * `schema_migrations`, all in one transaction (all or nothing). Refuses to run when a recorded migration was
 * changed or removed since it was applied: a schema is never silently different from its history.
 * An advisory lock makes concurrent starts take turns.
 */
export async function migrate(db: SqlClient, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await loadMigrations(dir);
  // Background: a migration may take longer than a request's statement is allowed to.
  return inBackground(db).transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(7411001)`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = await tx.query<{ name: string; checksum: string }>(
      `SELECT name, checksum FROM schema_migrations ORDER BY name`,
    );
    const byName = new Map(migrations.map((m) => [m.name, m]));
    for (const row of applied) {
      const file = byName.get(row.name);
      if (!file)
        throw new MigrationError(`migration ${row.name} was applied but its file is missing from ${dir}`);
      if (file.checksum !== row.checksum)
        throw new MigrationError(
          `migration ${row.name} was changed after it was applied (recorded checksum ${row.checksum.slice(0, 12)}, ` +
            `file ${file.checksum.slice(0, 12)}); add a new migration instead of editing an applied one`,
        );
    }
    const done = new Set(applied.map((r) => r.name));
    const pending = migrations.filter((m) => !done.has(m.name));
    for (const migration of pending) {
      try {
        await tx.exec(migration.sql);
      } catch (error) {
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`);
      }
      await tx.query(`INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)`, [
        migration.name,
        migration.checksum,
      ]);
    }
    return pending.map((m) => m.name);
  });
}
