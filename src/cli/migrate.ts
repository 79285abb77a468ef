// npm run migrate: applies the pending migrations to the platform's database (DATABASE_URL, else the
// PGlite database under DATA_DIR) and names each one applied. The platform also migrates at start-up;
// this is for operators who migrate before rolling out new processes.
import { ConfigError, loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import { openDatabase } from '../db/open.ts';

try {
  const db = await openDatabase(loadConfig());
  try {
    const applied = await migrate(db);
    console.log(
      applied.length === 0 ? 'migrations: nothing to apply' : `migrations applied: ${applied.join(', ')}`,
    );
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `migrate: ${(error as Error).message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
