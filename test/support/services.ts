import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const envFile = fileURLToPath(new URL('../../.services/env.json', import.meta.url));

/**
 * The URL of a real server for a suite: from the environment, else from what `scripts/services.mjs up`
 * started. A missing server fails the suite with a clear message; it never skips.
 */
export function serviceUrl(
  name: 'DATABASE_URL' | 'KAFKA_BROKERS' | 'REDIS_URL' | 'ELASTICSEARCH_URL',
): string {
  const fromEnv = process.env[name];
  if (fromEnv) return fromEnv;
  const started = existsSync(envFile)
    ? (JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>)
    : {};
  const url = started[name];
  if (!url)
    throw new Error(
      `${name} is not set and no server was started: run "npm run services" (npm test does it)`,
    );
  return url;
}
