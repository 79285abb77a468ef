import { Redis } from 'ioredis';

/**
 * The Redis client of the services profile's read models. A read model is never the only copy of
 * anything (the event store is), so Redis is asked briefly and a reader that gets no answer falls
 * back to the store: one retry per command, a two-second answer time, and commands sent while the
 * client (re)connects wait in its queue rather than fail at once (the first ones are sent that way).
 */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
  });
  // While Redis is away the client keeps reconnecting; the commands that fail meanwhile say so where
  // they were sent (readers fall back, projections retry, /ready reports it), so the event itself is
  // only noise.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Whether Redis can be asked now. A reader asks only then: while the client (re)connects, a command
 * would wait in its queue for up to the answer time, and the reader is better served by the source.
 */
export const redisAnswers = (redis: Redis): boolean => redis.status === 'ready';

/** Where one read model keeps its keys: the shared prefix (REDIS_KEY_PREFIX) and the model's name. */
export type RedisKeys = Readonly<{ redis: Redis; prefix: string }>;

type Script = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/**
 * A Lua script run atomically by Redis: sent once, then called by its SHA (ioredis falls back to
 * sending it again when the server has forgotten it, e.g. after a restart).
 */
export function luaScript(redis: Redis, name: string, keyCount: number, lua: string): Script {
  const command = `ec_${name}`;
  if (!(command in redis)) redis.defineCommand(command, { numberOfKeys: keyCount, lua });
  const call = (redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>)[
    command
  ]!;
  return (keys, args) => call.call(redis, ...keys, ...args);
}
