import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import { redisAnswers } from '../cache/redis.ts';
import type { Config } from '../config.ts';
import { HttpProblem } from './problem.ts';

export type RateLimitSettings = Pick<
  Config,
  | 'RATE_LIMITS'
  | 'REDIS_KEY_PREFIX'
  | 'RATE_LIMIT_LOGIN_PER_MINUTE'
  | 'RATE_LIMIT_REGISTER_PER_HOUR'
  | 'RATE_LIMIT_REFRESH_PER_MINUTE'
  | 'RATE_LIMIT_WRITES_PER_MINUTE'
>;

/** The per-address limits of the sign-in routes, as hooks for those routes; none while limits are off. */
export type RouteLimits = Readonly<{
  login?: preHandlerAsyncHookHandler;
  register?: preHandlerAsyncHookHandler;
  refresh?: preHandlerAsyncHookHandler;
}>;

const MINUTE = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The 429 every limit answers (Retry-After is set by the limiter). */
export const tooManyRequests = (retryAfterSeconds: number, detail = 'too many requests') =>
  new HttpProblem(
    429,
    'too-many-requests',
    'Too many requests',
    `${detail}; retry in ${retryAfterSeconds} s`,
    {
      retryAfter: retryAfterSeconds,
    },
  );

/**
 * Request-rate limits (@fastify/rate-limit): per client address on registration, sign-in and
 * refresh, per account on every state-changing request. Counted in Redis when `redis` is given, so
 * that every API process shares one count; else in this process. While Redis does not answer, the
 * requests go unlimited rather than wait for it (the lockout and the hashing bound still hold).
 * RATE_LIMITS=off registers nothing.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  settings: RateLimitSettings,
  redis?: Redis,
): Promise<RouteLimits> {
  if (settings.RATE_LIMITS === 'off') return {};
  await app.register(fastifyRateLimit, {
    global: false,
    ...(redis
      ? { redis, nameSpace: `${settings.REDIS_KEY_PREFIX}rate-limit:`, allowList: () => !redisAnswers(redis) }
      : {}),
    skipOnError: true,
    errorResponseBuilder: (_request, context) => tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  const perAddress = (name: string, max: number, timeWindow: number) =>
    app.rateLimit({ max, timeWindow, keyGenerator: (request) => `${name}:${normalizeIP(request.ip)}` });

  // After authentication (the routes' onRequest hooks), so that the account is known.
  const writes = app.rateLimit({
    max: settings.RATE_LIMIT_WRITES_PER_MINUTE,
    timeWindow: MINUTE,
    keyGenerator: (request) => `writes:${signedIn(request) ?? ''}`,
  });
  app.addHook('preHandler', async function (request, reply) {
    if (!SAFE_METHODS.has(request.method) && signedIn(request)) await writes.call(this, request, reply);
  });

  return {
    login: perAddress('login', settings.RATE_LIMIT_LOGIN_PER_MINUTE, MINUTE),
    register: perAddress('register', settings.RATE_LIMIT_REGISTER_PER_HOUR, 60 * MINUTE),
    refresh: perAddress('refresh', settings.RATE_LIMIT_REFRESH_PER_MINUTE, MINUTE),
  };
}

/** The account a request was authenticated as, if any (`request.user` is null until a token is verified). */
const signedIn = (request: FastifyRequest): string | undefined =>
  (request.user as { sub?: string } | null | undefined)?.sub;
