import type { Redis } from 'ioredis';
import type { RedisKeys } from '../cache/redis.ts';
import {
  emptyRecord,
  type Admission,
  type DueAdmission,
  type GateLine,
  type GateMode,
  type GateStore,
  type HotRule,
  type SkuGateRecord,
  type StockCount,
} from './gate-store.ts';

// Every key of the gate carries the hash tag `{gate}`: one slot, so that one script may touch the
// gates of every line of an order at once, and a Redis Cluster keeps it whole on one node.
//   <prefix>gate:{gate}:sku:<sku>      hash: mode, counts (version, onHand, reserved), pendingUnits,
//                                      admitted, refused, the rate (second, inSecond, inPreviousSecond),
//                                      hotUntil, hotSince, hotRate
//   <prefix>gate:{gate}:pending:<sku>  hash: order id -> units admitted, not yet in the counts
//   <prefix>gate:{gate}:orders         hash: order id -> the SKUs it holds admissions for (space-separated)
//   <prefix>gate:{gate}:deadlines      sorted set: order id by when to look at its admissions again
//   <prefix>gate:{gate}:known          set: the SKUs the console lists

/**
 * KEYS: orders, deadlines, known, then per line its sku hash and pending hash.
 * ARGV: order id, now (ms), hot threshold (checkouts/s, 0: never), hold (ms), deadline (ms), then per
 * line its SKU and quantity. Returns {1, lines admitted} or {0, SKUs sold out}.
 */
export const ADMIT_SCRIPT = `
local orderId, now, threshold, hold, deadline = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local second = math.floor(now / 1000)
local rest = (1000 - now % 1000) / 1000
local admit, refused = {}, {}
for i = 1, (#KEYS - 3) / 2 do
  local state, pending = KEYS[2 + 2 * i], KEYS[3 + 2 * i]
  local sku, quantity = ARGV[4 + 2 * i], tonumber(ARGV[5 + 2 * i])
  local f = redis.call('HMGET', state, 'mode', 'second', 'inSecond', 'inPreviousSecond', 'hotUntil',
    'version', 'onHand', 'reserved', 'pendingUnits')
  local s, c, p = tonumber(f[2]) or 0, tonumber(f[3]) or 0, tonumber(f[4]) or 0
  if s == second then c = c + 1 else
    if s == second - 1 then p = c else p = 0 end
    c = 1
  end
  local rate = c + p * rest
  local hotUntil = tonumber(f[5]) or 0
  if threshold > 0 and rate >= threshold then
    if hotUntil <= now then
      redis.call('HSET', state, 'hotSince', now, 'hotRate', math.floor(rate))
      redis.call('SADD', KEYS[3], sku)
    end
    hotUntil = now + hold
    redis.call('HSET', state, 'second', second, 'inSecond', c, 'inPreviousSecond', p, 'hotUntil', hotUntil)
  else
    redis.call('HSET', state, 'second', second, 'inSecond', c, 'inPreviousSecond', p)
  end
  local mode = f[1] or 'auto'
  if (mode == 'on' or (mode == 'auto' and hotUntil > now)) and redis.call('HEXISTS', pending, orderId) == 0 then
    if f[6] and quantity > tonumber(f[7]) - tonumber(f[8]) - (tonumber(f[9]) or 0) then
      refused[#refused + 1] = i
    else
      admit[#admit + 1] = i
    end
  end
end
if #refused > 0 then
  local skus = {0}
  for _, i in ipairs(refused) do
    redis.call('HINCRBY', KEYS[2 + 2 * i], 'refused', 1)
    skus[#skus + 1] = ARGV[4 + 2 * i]
  end
  return skus
end
if #admit > 0 then
  local held = redis.call('HGET', KEYS[1], orderId)
  for _, i in ipairs(admit) do
    local state, pending, sku, quantity = KEYS[2 + 2 * i], KEYS[3 + 2 * i], ARGV[4 + 2 * i], ARGV[5 + 2 * i]
    redis.call('HSET', pending, orderId, quantity)
    redis.call('HINCRBY', state, 'pendingUnits', quantity)
    redis.call('HINCRBY', state, 'admitted', 1)
    if held then held = held .. ' ' .. sku else held = sku end
  end
  redis.call('HSET', KEYS[1], orderId, held)
  redis.call('ZADD', KEYS[2], deadline, orderId)
end
return {1, #admit}`;

/** Settles the admissions of order ARGV[i] for the SKU of KEYS[1] (its units go back to the count). */
const SETTLE = `
local function settle(state, pending, orders, deadlines, sku, orderId)
  local quantity = redis.call('HGET', pending, orderId)
  if not quantity then return end
  redis.call('HDEL', pending, orderId)
  redis.call('HINCRBY', state, 'pendingUnits', -tonumber(quantity))
  local left = {}
  for held in string.gmatch(redis.call('HGET', orders, orderId) or '', '%S+') do
    if held ~= sku then left[#left + 1] = held end
  end
  if #left == 0 then
    redis.call('HDEL', orders, orderId)
    redis.call('ZREM', deadlines, orderId)
  else
    redis.call('HSET', orders, orderId, table.concat(left, ' '))
  end
end`;

/**
 * KEYS: sku hash, pending hash, orders, deadlines. ARGV: SKU, version, on hand, reserved, then the
 * orders whose reservations the count holds. The count is kept only if newer than the stored one; the
 * admissions are settled either way (the stored count is then at least as new as their reservations).
 */
const COUNT = `${SETTLE}
if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[1], 'version') or '-1') then
  redis.call('HSET', KEYS[1], 'version', ARGV[2], 'onHand', ARGV[3], 'reserved', ARGV[4])
end
for i = 5, #ARGV do settle(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[i]) end
return 1`;

/** KEYS: orders, deadlines, then per SKU its sku hash and pending hash. ARGV: order id, then the SKUs. */
const RELEASE = `${SETTLE}
for i = 1, (#KEYS - 2) / 2 do settle(KEYS[1 + 2 * i], KEYS[2 + 2 * i], KEYS[1], KEYS[2], ARGV[1 + i], ARGV[1]) end
return 1`;

const RECORD_FIELDS = [
  'mode',
  'version',
  'onHand',
  'reserved',
  'pendingUnits',
  'admitted',
  'refused',
  'second',
  'inSecond',
  'inPreviousSecond',
  'hotUntil',
  'hotSince',
  'hotRate',
] as const;

type Script = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/**
 * A Lua script run atomically by Redis, its number of keys given with each call (an order has any
 * number of lines). ioredis sends it with EVAL the first time on a connection, then by its SHA with
 * EVALSHA, and sends it again if the server answers NOSCRIPT (restarted, or SCRIPT FLUSH).
 */
function script(redis: Redis, name: string, lua: string): Script {
  const command = `ec_${name}`;
  if (!(command in redis)) redis.defineCommand(command, { lua });
  const call = (redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>)[
    command
  ]!;
  return (keys, args) => call.call(redis, keys.length, ...keys, ...args);
}

const numberOr = (text: string | null | undefined, fallback: number) =>
  text === null || text === undefined ? fallback : Number(text);

/** The gate in Redis, shared by every API process: each decision is one atomic script. */
export class RedisGate implements GateStore {
  private readonly redis: Redis;
  private readonly base: string;
  private readonly admitScript: Script;
  private readonly countScript: Script;
  private readonly releaseScript: Script;

  constructor({ redis, prefix }: RedisKeys) {
    this.redis = redis;
    this.base = `${prefix}gate:{gate}:`;
    this.admitScript = script(redis, 'gate_admit', ADMIT_SCRIPT);
    this.countScript = script(redis, 'gate_count', COUNT);
    this.releaseScript = script(redis, 'gate_release', RELEASE);
  }

  async admit(
    orderId: string,
    lines: readonly GateLine[],
    rule: HotRule,
    now: number,
    deadline: number,
  ): Promise<Admission> {
    const keys = [this.key('orders'), this.key('deadlines'), this.key('known')];
    const args: (string | number)[] = [orderId, now, rule.checkoutsPerSecond, rule.holdMs, deadline];
    for (const { sku, quantity } of lines) {
      keys.push(this.skuKey(sku), this.pendingKey(sku));
      args.push(sku, quantity);
    }
    const [outcome, ...rest] = (await this.admitScript(keys, args)) as [number, ...unknown[]];
    return outcome === 1
      ? { admitted: true, gated: Number(rest[0]) }
      : { admitted: false, soldOut: rest.map(String) };
  }

  async count(sku: string, count: StockCount, reservedBy: readonly string[]): Promise<void> {
    await this.countScript(
      [this.skuKey(sku), this.pendingKey(sku), this.key('orders'), this.key('deadlines')],
      [sku, count.version, count.onHand, count.reserved, ...reservedBy],
    );
  }

  async counts(skus: readonly string[]): Promise<(StockCount | undefined)[]> {
    if (skus.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const sku of skus) pipeline.hmget(this.skuKey(sku), 'version', 'onHand', 'reserved');
    return ((await pipeline.exec()) ?? []).map(([error, fields]) => {
      if (error) throw error;
      const [version, onHand, reserved] = fields as (string | null)[];
      return version === null || version === undefined
        ? undefined
        : { version: Number(version), onHand: numberOr(onHand, 0), reserved: numberOr(reserved, 0) };
    });
  }

  async release(orderId: string, skus: readonly string[]): Promise<void> {
    if (skus.length === 0) return;
    await this.releaseScript(
      [
        this.key('orders'),
        this.key('deadlines'),
        ...skus.flatMap((sku) => [this.skuKey(sku), this.pendingKey(sku)]),
      ],
      [orderId, ...skus],
    );
  }

  async heldBy(orderIds: readonly string[]): Promise<(readonly string[])[]> {
    if (orderIds.length === 0) return [];
    const held = await this.redis.hmget(this.key('orders'), ...orderIds);
    return held.map((skus) => (skus ? skus.split(' ') : []));
  }

  async due(now: number, limit: number): Promise<DueAdmission[]> {
    const orderIds = await this.redis.zrangebyscore(this.key('deadlines'), '-inf', now, 'LIMIT', 0, limit);
    const held = await this.heldBy(orderIds);
    return orderIds.map((orderId, i) => ({ orderId, skus: held[i]! }));
  }

  async postpone(orderId: string, deadline: number): Promise<void> {
    await this.redis.zadd(this.key('deadlines'), 'XX', deadline, orderId);
  }

  async setMode(sku: string, mode: GateMode): Promise<void> {
    await this.redis.multi().hset(this.skuKey(sku), 'mode', mode).sadd(this.key('known'), sku).exec();
  }

  async known(): Promise<string[]> {
    return (await this.redis.smembers(this.key('known'))).sort();
  }

  async records(skus: readonly string[]): Promise<SkuGateRecord[]> {
    if (skus.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const sku of skus) {
      pipeline.hmget(this.skuKey(sku), ...RECORD_FIELDS);
      pipeline.hlen(this.pendingKey(sku));
    }
    const answers = (await pipeline.exec()) ?? [];
    return skus.map((sku, i) => {
      const [fieldsError, fields] = answers[2 * i]!;
      const [lengthError, pendingOrders] = answers[2 * i + 1]!;
      if (fieldsError) throw fieldsError;
      if (lengthError) throw lengthError;
      const f = Object.fromEntries(RECORD_FIELDS.map((name, j) => [name, (fields as (string | null)[])[j]]));
      const empty = emptyRecord(sku);
      return {
        sku,
        mode: (f.mode as GateMode | null) ?? 'auto',
        ...(f.version === null || f.version === undefined
          ? {}
          : {
              count: {
                version: Number(f.version),
                onHand: numberOr(f.onHand, 0),
                reserved: numberOr(f.reserved, 0),
              },
            }),
        pendingUnits: numberOr(f.pendingUnits, 0),
        pendingOrders: Number(pendingOrders),
        admitted: numberOr(f.admitted, 0),
        refused: numberOr(f.refused, 0),
        second: numberOr(f.second, empty.second),
        inSecond: numberOr(f.inSecond, 0),
        inPreviousSecond: numberOr(f.inPreviousSecond, 0),
        hotUntil: numberOr(f.hotUntil, 0),
        ...(f.hotSince ? { hotSince: Number(f.hotSince) } : {}),
        ...(f.hotRate ? { hotRate: Number(f.hotRate) } : {}),
      };
    });
  }

  async forget(sku: string): Promise<void> {
    await this.redis.srem(this.key('known'), sku);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private key(name: string) {
    return this.base + name;
  }

  private skuKey(sku: string) {
    return `${this.base}sku:${sku}`;
  }

  private pendingKey(sku: string) {
    return `${this.base}pending:${sku}`;
  }
}
