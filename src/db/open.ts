import { mkdir } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { openPGlite } from './pglite.ts';
import { connectPostgres } from './postgres.ts';
import type { SqlClient } from './sql-client.ts';

/** The platform's database: PostgreSQL when DATABASE_URL is set, else PGlite under DATA_DIR (or in memory). */
export async function openDatabase(config: Config): Promise<SqlClient> {
  if (config.DATABASE_URL)
    return connectPostgres({
      connectionString: config.DATABASE_URL,
      maxConnections: config.DATABASE_POOL_SIZE,
    });
  if (config.DATA_DIR === 'memory://') return openPGlite();
  await mkdir(config.DATA_DIR, { recursive: true });
  return openPGlite(config.DATA_DIR);
}
