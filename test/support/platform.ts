import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.ts';
import { loadConfig } from '../../src/config.ts';
import { openPlatform, type Platform, type PlatformExtras } from '../../src/platform.ts';
import { freshPostgres } from './databases.ts';

export type TestApp = { app: FastifyInstance; platform: Platform; close(): Promise<void> };

/** The whole platform behind Fastify's `inject`, on in-memory PGlite or a fresh PostgreSQL database. */
export async function testApp(
  profile: 'embedded' | 'postgres' = 'embedded',
  env: Record<string, string> = {},
  extras: PlatformExtras = {},
): Promise<TestApp> {
  const database = profile === 'postgres' ? await freshPostgres(32, { migrated: false }) : undefined;
  const config = loadConfig({
    DATA_DIR: 'memory://',
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!',
    PASSWORD_HASH_COST: '10',
    // Tests call the API far faster than a person would; the tests of the limits turn them on.
    RATE_LIMITS: 'off',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...env,
  });
  const platform = await openPlatform(config, extras);
  await platform.startWorkers();
  const app = await buildServer(platform);
  await app.ready();
  return {
    app,
    platform,
    async close() {
      await app.close();
      await platform.close();
      await database?.drop();
    },
  };
}
