import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { luaScript, redisAnswers } from '../cache/redis.ts';

/** The outcome of asking to try a password: go ahead, or wait this long (the account is locked). */
export type AttemptVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Sign-in attempts per account, for the lockout: at most `threshold` attempts within `lockSeconds`,
 * after which the account is locked for `lockSeconds`, owner included. An attempt is counted before
 * the password is checked (so that a burst of guesses in parallel is bounded too) and a right
 * password clears the count.
 */
export interface LoginAttempts {
  begin(account: string): Promise<AttemptVerdict>;
  /** The attempt did not happen after all (the hashing queue was full). */
  withdraw(account: string): Promise<void>;
  succeeded(account: string): Promise<void>;
  close(): Promise<void>;
}

export type LockoutPolicy = Readonly<{ threshold: number; lockSeconds: number }>;

/** RATE_LIMITS=off: no lockout. */
export const noLockout: LoginAttempts = {
  begin: () => Promise.resolve({ allowed: true }),
  withdraw: () => Promise.resolve(),
  succeeded: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** Keys never hold an email in clear. */
const accountKey = (account: string) =>
  createHash('sha256').update(account.toLowerCase()).digest('base64url').slice(0, 22);

/** One process's count (the embedded profile, or no Redis). */
export class InProcessLoginAttempts implements LoginAttempts {
  private readonly attempts = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly policy: LockoutPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  begin(account: string): Promise<AttemptVerdict> {
    const key = accountKey(account);
    const now = this.now();
    const windowMs = this.policy.lockSeconds * 1000;
    let entry = this.attempts.get(key);
    if (!entry || entry.until <= now) {
      if (this.attempts.size > 100_000) this.forgetExpired(now);
      entry = { count: 0, until: now + windowMs };
      this.attempts.set(key, entry);
    }
    entry.count++;
    // The attempt that goes over the threshold locks the account for the whole period from now.
    if (entry.count === this.policy.threshold + 1) entry.until = now + windowMs;
    return Promise.resolve(
      entry.count > this.policy.threshold
        ? { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((entry.until - now) / 1000)) }
        : { allowed: true },
    );
  }

  withdraw(account: string): Promise<void> {
    const entry = this.attempts.get(accountKey(account));
    if (entry && entry.count > 0) entry.count--;
    return Promise.resolve();
  }

  succeeded(account: string): Promise<void> {
    this.attempts.delete(accountKey(account));
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.attempts.clear();
    return Promise.resolve();
  }

  private forgetExpired(now: number) {
    for (const [key, entry] of this.attempts) if (entry.until <= now) this.attempts.delete(key);
  }
}

const BEGIN = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or n == tonumber(ARGV[2]) + 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

/** DECR would create a missing key (with no expiry). */
const WITHDRAW = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return 0`;

/**
 * The count in Redis, shared by every API process. While Redis does not answer, attempts are not
 * counted (the per-address limit and the hashing bound still hold) rather than refused.
 */
export class RedisLoginAttempts implements LoginAttempts {
  private readonly beginScript;
  private readonly withdrawScript;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly policy: LockoutPolicy,
  ) {
    this.beginScript = luaScript(redis, 'login_attempt', 1, BEGIN);
    this.withdrawScript = luaScript(redis, 'login_attempt_withdrawn', 1, WITHDRAW);
  }

  private key(account: string) {
    return `${this.prefix}login-attempts:${accountKey(account)}`;
  }

  async begin(account: string): Promise<AttemptVerdict> {
    if (!redisAnswers(this.redis)) return { allowed: true };
    try {
      const [count, ttlMs] = (await this.beginScript(
        [this.key(account)],
        [this.policy.lockSeconds * 1000, this.policy.threshold],
      )) as [number, number];
      return count > this.policy.threshold
        ? { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) }
        : { allowed: true };
    } catch {
      return { allowed: true };
    }
  }

  async withdraw(account: string): Promise<void> {
    await this.withdrawScript([this.key(account)], []).catch(() => undefined);
  }

  async succeeded(account: string): Promise<void> {
    await this.redis.del(this.key(account)).catch(() => undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
