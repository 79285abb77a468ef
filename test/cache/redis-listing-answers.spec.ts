import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EVERY_ANSWER } from '../../src/cache/listing-answers.ts';
import { connectRedis } from '../../src/cache/redis.ts';
import { redisListingAnswers, type RedisListingAnswers } from '../../src/cache/redis-listing-answers.ts';
import { testRedis } from './redis.ts';
import { waitUntil } from './wait.ts';

// Two API processes sharing one Redis: each store here has connections of its own, as a process has,
// and nothing in common with the other but Redis.

const redis = testRedis('listing-answers');
const opened: { answers: RedisListingAnswers; close(): Promise<void> }[] = [];

function apiProcess() {
  const connection = connectRedis(redis.url);
  const subscriber = connectRedis(redis.url);
  const answers = redisListingAnswers({ redis: connection, prefix: redis.prefix }, subscriber);
  const handle = {
    answers,
    subscriber,
    async close() {
      await answers.close();
      await connection.quit();
    },
  };
  opened.push(handle);
  return handle;
}

const listening = (...processes: { answers: RedisListingAnswers }[]) =>
  waitUntil('every process listens', async () => processes.every((p) => p.answers.listening));

function searcher(json: string, tags: string[]) {
  const calls = { count: 0 };
  return Object.assign(
    async () => {
      calls.count++;
      return { json, tags };
    },
    { calls },
  );
}

afterEach(async () => {
  for (const p of opened.splice(0)) await p.close();
  const keys = await redis.scan();
  if (keys.length > 0) await redis.redis.del(...keys);
});
afterAll(() => redis.close());

describe('listing answers in Redis', () => {
  it('serves a page asked twice to every other process without searching again, then from their own copy', async () => {
    const [a, b, c] = [apiProcess(), apiProcess(), apiProcess()];
    await listening(a, b, c);
    const search = searcher('{"tools":1}', ['products:category:Tools', 'sku:DRILL-1']);
    expect(await a.answers.getOrSearch('tools', search)).toBe('{"tools":1}');
    // Asked once: a mark in Redis, no answer (a question nobody repeats costs Redis next to nothing).
    expect(await redis.redis.exists(a.answers.answerKey('tools'))).toBe(0);
    expect(a.answers.peek('tools')).toBe('{"tools":1}');
    expect(await b.answers.getOrSearch('tools', search)).toBe('{"tools":1}');
    expect(await redis.redis.hget(a.answers.answerKey('tools'), 'json')).toBe('{"tools":1}');
    expect(await c.answers.getOrSearch('tools', search)).toBe('{"tools":1}');
    expect(search.calls.count).toBe(2);
    expect(c.answers.served).toMatchObject({ shared: 1, searched: 0 });
    expect(c.answers.peek('tools')).toBe('{"tools":1}');
  });

  it("drops every process's copy and the shared answer when one of its tags is invalidated, others stay", async () => {
    const [a, b, worker] = [apiProcess(), apiProcess(), apiProcess()];
    await listening(a, b, worker);
    const tools = searcher('T', ['products:category:Tools', 'sku:DRILL-1']);
    const lamps = searcher('L', ['products:category:Lighting', 'sku:LAMP-1']);
    for (const p of [a, b]) {
      await p.answers.getOrSearch('tools', tools);
      await p.answers.getOrSearch('lamps', lamps);
    }
    expect([a.answers.peek('tools'), b.answers.peek('tools')]).toEqual(['T', 'T']);

    // The projection feeding the search index runs in another process (the worker).
    await worker.answers.invalidate(['sku:DRILL-1']);
    await waitUntil('both copies are dropped', async () =>
      [a, b].every((p) => p.answers.peek('tools') === undefined),
    );
    expect(await redis.redis.exists(a.answers.answerKey('tools'))).toBe(0);
    expect([a.answers.peek('lamps'), b.answers.peek('lamps')]).toEqual(['L', 'L']);
    const again = searcher('T2', ['products:category:Tools', 'sku:DRILL-1']);
    expect(await b.answers.getOrSearch('tools', again)).toBe('T2');
    expect(again.calls.count).toBe(1);

    await worker.answers.invalidate([EVERY_ANSWER]);
    await waitUntil('everything is dropped', async () =>
      [a, b].every((p) => p.answers.peek('lamps') === undefined && p.answers.peek('tools') === undefined),
    );
    expect(await redis.redis.exists(a.answers.answerKey('lamps'))).toBe(0);
  });

  it('keeps no answer whose tag was invalidated while it was being searched', async () => {
    const [a, worker] = [apiProcess(), apiProcess()];
    await listening(a, worker);
    const slow = async () => {
      await worker.answers.invalidate(['stock:brand:Bosk']);
      return { json: 'read before the change', tags: ['products:brand:Bosk', 'stock:brand:Bosk'] };
    };
    expect(await a.answers.getOrSearch('bosk', slow)).toBe('read before the change');
    expect(await redis.redis.exists(a.answers.answerKey('bosk'))).toBe(0);
    // Its own copy is refused too, whichever of the answer and the message came first.
    await waitUntil('the message is heard', async () => a.answers.peek('bosk') === undefined);
    const fresh = searcher('read after', ['products:brand:Bosk', 'stock:brand:Bosk']);
    expect(await a.answers.getOrSearch('bosk', fresh)).toBe('read after');
    expect(fresh.calls.count).toBe(1);
    expect(await redis.redis.hget(a.answers.answerKey('bosk'), 'json')).toBe('read after');
  });

  it('keeps no copy of its own while it cannot hear invalidations, and drops what it had', async () => {
    const [a, worker] = [apiProcess(), apiProcess()];
    await listening(a, worker);
    await a.answers.getOrSearch('tools', searcher('T', ['sku:DRILL-1']));
    expect(a.answers.peek('tools')).toBe('T');
    a.subscriber.disconnect(true); // dropped, reconnecting
    await waitUntil('the process knows it is deaf', async () => !a.answers.listening);
    expect(a.answers.peek('tools')).toBeUndefined();
    // Meanwhile the shared answer changes; the process reads it from Redis once it listens again.
    await worker.answers.invalidate(['sku:DRILL-1']);
    await worker.answers.getOrSearch('tools', searcher('T2', ['sku:DRILL-1']));
    await listening(a);
    expect(await a.answers.getOrSearch('tools', searcher('never', []))).toBe('T2');
    expect(a.answers.peek('tools')).toBe('T2');
  });

  it('answers from the search engine when Redis does not answer', async () => {
    const connection = connectRedis('redis://127.0.0.1:1');
    const subscriber = connectRedis('redis://127.0.0.1:1');
    const answers = redisListingAnswers({ redis: connection, prefix: redis.prefix }, subscriber);
    try {
      const search = searcher('from the engine', ['sku:X']);
      expect(await answers.getOrSearch('x', search)).toBe('from the engine');
      expect(await answers.getOrSearch('x', search)).toBe('from the engine');
      expect(search.calls.count).toBe(2);
      expect(answers.peek('x')).toBeUndefined();
    } finally {
      await answers.close();
      connection.disconnect();
    }
  });
});
