import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ListingAnswerStore, ListingInvalidation } from '../search/listing-pages.ts';
import { InProcessListingAnswers } from '../search/listing-pages.ts';
import { EVERY_ANSWER, KeptAnswers, type KeptAnswer } from './listing-answers.ts';
import { luaScript, redisAnswers, type RedisKeys } from './redis.ts';

/** How long Redis keeps an answer nothing invalidates (a bound on memory and on a lost invalidation). */
export const LISTING_ANSWER_TTL_MS = 30 * 60_000;
/** How often a process checks that it still hears invalidations. */
const HEARTBEAT_MS = 1_000;
/**
 * How long Redis remembers that a question was asked: an answer is kept there only when asked again
 * meanwhile (by any process), so a stream of questions nobody repeats leaves small marks, not answers.
 */
const ASKED_MS = 10 * 60_000;

/**
 * Keeps an answer (`<prefix>listing:<sha1 of its key>`: its JSON and tags) unless one of its tags
 * was invalidated after the sequence number the reader saw before searching (see KeptAnswers), and
 * files it under each tag (`<prefix>listing-tag:<tag>`, a set) so an invalidation finds it.
 */
const OFFER = `
local seen = tonumber(ARGV[3])
local tags = {unpack(ARGV, 6)}
table.insert(tags, '${EVERY_ANSWER}')
local invalidated = redis.call('HMGET', KEYS[2], unpack(tags))
for i = 1, #tags do
  if tonumber(invalidated[i] or '0') > seen then return 0 end
end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'tags', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
for i = 1, #tags do
  local set = ARGV[5] .. tags[i]
  redis.call('SADD', set, KEYS[1])
  redis.call('PEXPIRE', set, ARGV[4])
end
return 1`;

/**
 * Takes the next sequence number, records it on each tag, deletes the answers filed under them, and
 * tells every API process (a message of the tags, as a JSON array) to drop its own copies.
 */
const INVALIDATE = `
local sequence = redis.call('INCR', KEYS[1])
local tags = {unpack(ARGV, 3)}
for i = 1, #tags do
  redis.call('HSET', KEYS[2], tags[i], sequence)
  local set = ARGV[1] .. tags[i]
  local answers = redis.call('SMEMBERS', set)
  for j = 1, #answers, 500 do
    redis.call('DEL', unpack(answers, j, math.min(j + 499, #answers)))
  end
  redis.call('DEL', set)
end
redis.call('PUBLISH', ARGV[2], cjson.encode(tags))
return sequence`;

export type RedisListingAnswers = ListingAnswerStore &
  ListingInvalidation &
  Readonly<{
    /** Whether this process hears invalidations now, and so keeps copies of its own. */
    readonly listening: boolean;
    /** Where answers came from, for tests and benchmarks: this process, Redis, or the search engine. */
    readonly served: { local: number; shared: number; searched: number };
    answerKey(key: string): string;
    close(): Promise<void>;
  }>;

/**
 * Listing answers in Redis, shared by every API process, with a copy in each process in front: the
 * copy is what makes a kept page as cheap as a product page, Redis what lets a page searched by one
 * process serve the others (and outlive a restart). Redis keeps an answer once its question was asked
 * before (ASKED_MS). Invalidations come from the projection feeding the
 * search index, in whichever process it runs, through `invalidate`.
 *
 * A process keeps copies only while it hears invalidations (`subscriber`, a connection of its own in
 * subscribe mode, pinged every second): when that connection drops or stops answering, every copy
 * goes and none is kept until it listens again. Redis failing is a miss, never an error: the engine
 * answers.
 */
export function redisListingAnswers(
  { redis, prefix }: RedisKeys,
  subscriber: Redis,
  options: { ttlMs?: number; capacity?: number } = {},
): RedisListingAnswers {
  const ttlMs = options.ttlMs ?? LISTING_ANSWER_TTL_MS;
  const local = new InProcessListingAnswers(new KeptAnswers(options.capacity ?? 2_000));
  const channel = `${prefix}listing-invalidations`;
  const sequenceKey = `${prefix}listing-sequence`;
  const invalidatedKey = `${prefix}listing-invalidated`;
  const tagPrefix = `${prefix}listing-tag:`;
  const answerKey = (key: string) => `${prefix}listing:${createHash('sha1').update(key).digest('hex')}`;
  const askedKey = (id: string) => `${id}:asked`;
  const offer = luaScript(redis, 'offer_listing_answer', 2, OFFER);
  const invalidate = luaScript(redis, 'invalidate_listing_answers', 2, INVALIDATE);
  const served = { local: 0, shared: 0, searched: 0 };
  let listening = false;

  subscriber.on('message', (from: string, message: string) => {
    if (from === channel) local.kept.invalidate(JSON.parse(message) as string[]);
  });
  const deaf = () => {
    if (listening) local.kept.invalidate([EVERY_ANSWER]);
    listening = false;
  };
  subscriber.on('close', deaf);
  subscriber.on('end', deaf);
  subscriber.on('reconnecting', deaf);
  const listen = () =>
    subscriber.subscribe(channel).then(
      () => {
        listening = subscriber.status === 'ready';
      },
      () => undefined,
    );
  subscriber.on('ready', () => void listen());
  if (subscriber.status === 'ready') void listen();
  // A connection cut without a word (no FIN) looks alive: one unanswered ping within the client's answer
  // time (2 s) counts as deaf, and the connection is made again.
  const heartbeat = setInterval(() => {
    if (!listening) return;
    subscriber.ping().catch(() => {
      deaf();
      subscriber.disconnect(true);
    });
  }, HEARTBEAT_MS);
  heartbeat.unref();

  /** The answer in Redis, else the engine's (then kept in Redis for the others). */
  async function shared(key: string, search: () => Promise<KeptAnswer>): Promise<KeptAnswer> {
    if (!redisAnswers(redis)) {
      served.searched++;
      return search();
    }
    const id = answerKey(key);
    const found = await redis
      .pipeline()
      .hmget(id, 'json', 'tags')
      .get(sequenceKey)
      .set(askedKey(id), '1', 'PX', ASKED_MS, 'NX')
      .exec()
      .catch(() => null);
    const [json, tags] = (found?.[0]?.[1] as (string | null)[] | undefined) ?? [];
    if (json && tags) {
      served.shared++;
      return { json, tags: JSON.parse(tags) as string[] };
    }
    served.searched++;
    const answer = await search();
    const askedBefore = found?.[2]?.[0] === null && found[2][1] === null;
    if (found && !found[1]?.[0] && askedBefore)
      await offer(
        [id, invalidatedKey],
        [
          answer.json,
          JSON.stringify(answer.tags),
          Number(found[1]?.[1] ?? 0),
          ttlMs,
          tagPrefix,
          ...answer.tags,
        ],
      ).catch(() => undefined);
    return answer;
  }

  return {
    get listening() {
      return listening;
    },
    served,
    answerKey,
    peek(key) {
      if (!listening) return undefined;
      const json = local.peek(key);
      if (json !== undefined) served.local++;
      return json;
    },
    async getOrSearch(key, search) {
      if (!listening) return (await shared(key, search)).json;
      return local.getOrSearch(key, () => shared(key, search));
    },
    async invalidate(tags) {
      if (tags.length > 0) await invalidate([sequenceKey, invalidatedKey], [tagPrefix, channel, ...tags]);
    },
    async close() {
      clearInterval(heartbeat);
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
