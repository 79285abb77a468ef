import type { Redis } from 'ioredis';
import { connectRedis } from '../cache/redis.ts';
import type { Config } from '../config.ts';
import type { SqlClient } from '../db/sql-client.ts';
import { Accounts } from './accounts.ts';
import { HashingGate } from './hashing-gate.ts';
import {
  InProcessLoginAttempts,
  noLockout,
  RedisLoginAttempts,
  type LoginAttempts,
} from './login-attempts.ts';
import { InProcessTokenRevocations, SqlTokenRevocations, type TokenRevocations } from './revocations.ts';
import { Sessions } from './sessions.ts';
import type { Users } from './users.ts';

export type IdentitySettings = Pick<
  Config,
  | 'REDIS_URL'
  | 'REDIS_KEY_PREFIX'
  | 'RATE_LIMITS'
  | 'PASSWORD_HASH_CONCURRENCY'
  | 'PASSWORD_HASH_QUEUE'
  | 'ACCESS_TOKEN_TTL_SECONDS'
  | 'REFRESH_TOKEN_TTL_DAYS'
  | 'LOGIN_LOCKOUT_THRESHOLD'
  | 'LOGIN_LOCKOUT_SECONDS'
>;

export type Identity = Readonly<{
  accounts: Accounts;
  /** Asked on every authenticated request. */
  revocations: TokenRevocations;
  accessTokenSeconds: number;
  /** Where counts shared by every API process are kept (RATE_LIMITS on and REDIS_URL set). */
  redis?: Redis;
  close(): Promise<void>;
}>;

/**
 * Accounts with their sessions, lockout and hashing bound. Revocations are checked in PostgreSQL
 * when several processes may share it, in memory when this process is the database's only writer
 * (PGlite). Lockout counts live in Redis when there is one, so that every API process sees them.
 */
export async function openIdentity(
  db: SqlClient,
  users: Users,
  settings: IdentitySettings,
): Promise<Identity> {
  const accessTtlMs = settings.ACCESS_TOKEN_TTL_SECONDS * 1000;
  const revocations: TokenRevocations =
    db.dialect === 'postgres'
      ? new SqlTokenRevocations(db)
      : await InProcessTokenRevocations.load(db, accessTtlMs);
  const limited = settings.RATE_LIMITS === 'on';
  const redis = limited && settings.REDIS_URL ? connectRedis(settings.REDIS_URL) : undefined;
  const lockout = {
    threshold: settings.LOGIN_LOCKOUT_THRESHOLD,
    lockSeconds: settings.LOGIN_LOCKOUT_SECONDS,
  };
  const attempts: LoginAttempts = !limited
    ? noLockout
    : redis
      ? new RedisLoginAttempts(redis, settings.REDIS_KEY_PREFIX, lockout)
      : new InProcessLoginAttempts(lockout);
  const accounts = new Accounts({
    users,
    sessions: new Sessions(db, settings.REFRESH_TOKEN_TTL_DAYS * 86_400_000, revocations),
    revocations,
    hashing: new HashingGate(settings.PASSWORD_HASH_CONCURRENCY, settings.PASSWORD_HASH_QUEUE),
    attempts,
  });
  return {
    accounts,
    revocations,
    accessTokenSeconds: settings.ACCESS_TOKEN_TTL_SECONDS,
    ...(redis ? { redis } : {}),
    async close() {
      await attempts.close();
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
