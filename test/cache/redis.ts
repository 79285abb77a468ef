import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { serviceUrl } from '../support/services.ts';

/**
 * The real Redis, with a key prefix of this test file's own: files running at once never see each
 * other's keys, and cleaning up removes only this prefix's.
 */
export function testRedis(name: string) {
  const url = serviceUrl('REDIS_URL');
  const prefix = `test:${name}:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  /** Every key of one read model (`stock`, `cart`, ...), with its hash fields: what the model holds. */
  async function snapshot(model: string): Promise<Record<string, Record<string, string>>> {
    const keys = (await scan(`${prefix}${model}:*`)).sort();
    const hashes = await Promise.all(keys.map((key) => redis.hgetall(key)));
    return Object.fromEntries(keys.map((key, i) => [key, hashes[i]!]));
  }
  async function scan(match = `${prefix}*`): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }
  return {
    url,
    prefix,
    redis,
    snapshot,
    scan,
    env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix },
    async close() {
      const keys = await scan();
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}
