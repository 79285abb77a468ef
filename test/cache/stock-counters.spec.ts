import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import {
  redisStockCounters,
  readCounters,
  stockCountersProjection,
  type StockCounts,
} from '../../src/cache/stock-counters.ts';
import { inProcessStreamViews, type StreamViews } from '../../src/cache/stream-views.ts';
import { streams } from '../../src/commands/index.ts';
import { availableToSell, type InventoryCommand } from '../../src/domain/inventory/index.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { compareCheckpoints, runExternalProjection } from '../../src/subscriptions/index.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { testRedis } from './redis.ts';

const context = () => ({ actor: { id: 'spec', role: 'admin' }, correlationId: uuidv7() });

describe.each([
  { store: 'redis', profile: 'postgres' },
  { store: 'in-process', profile: 'embedded' },
] as const)('stock counters ($store, $profile)', ({ store, profile }) => {
  const redis = store === 'redis' ? testRedis('stock-counters') : undefined;
  let t: TestApp;
  const skus = ['DRILL-1', 'WIDGET-9'];
  const inventory = (sku: string, command: InventoryCommand) =>
    t.platform.commands.inventory.handle(streams.inventory(sku), command, context());
  const inventoryEvents = async () => {
    const events: RecordedEvent[] = [];
    for (const sku of skus) events.push(...(await t.platform.store.readStream(streams.inventory(sku))));
    return events;
  };
  /** What the inventory stream itself says, in the counters' shape. */
  const fromStream = async (sku: string) => {
    const { state, version } = await t.platform.commands.inventory.load(streams.inventory(sku));
    return {
      sku,
      onHand: state.onHand,
      reserved: state.reserved,
      available: availableToSell(state),
      version,
    };
  };
  const counted = async (sku: string) =>
    (await t.platform.readModels.stockCounters([streams.inventory(sku)]))[0];
  /** Polls: on PostgreSQL an event reaches the log's readers only once older transactions end. */
  const countersMatchStreams = async () => {
    for (const sku of skus)
      await expect.poll(() => counted(sku), { timeout: 20_000 }).toEqual(await fromStream(sku));
  };

  beforeAll(async () => {
    t = await testApp(profile, redis?.env ?? {});
    const now = new Date().toISOString();
    const later = new Date(Date.now() + 600_000).toISOString();
    const reserve = (reservationId: string, quantity: number, expiresAt = later): InventoryCommand => ({
      type: 'ReserveStock',
      data: { sku: 'DRILL-1', reservationId, quantity, expiresAt, now },
    });
    await inventory('DRILL-1', { type: 'ReceiveStock', data: { sku: 'DRILL-1', quantity: 10 } });
    await inventory('DRILL-1', {
      type: 'AdjustStock',
      data: { sku: 'DRILL-1', delta: -1, reason: 'damaged' },
    });
    await inventory('DRILL-1', reserve('order-committed', 3));
    await inventory('DRILL-1', reserve('order-released', 2));
    await inventory('DRILL-1', reserve('order-expired', 1, new Date(Date.now() + 1_000).toISOString()));
    await inventory('DRILL-1', {
      type: 'CommitReservation',
      data: { reservationId: 'order-committed', now },
    });
    await inventory('DRILL-1', {
      type: 'ReleaseReservation',
      data: { reservationId: 'order-released', reason: 'payment failed', now },
    });
    await inventory('DRILL-1', {
      type: 'ExpireReservations',
      data: { now: new Date(Date.now() + 5_000).toISOString() },
    });
    await inventory('DRILL-1', {
      type: 'ReturnReservation',
      data: { reservationId: 'order-committed', reason: 'cancelled', now },
    });
    await inventory('DRILL-1', reserve('order-active', 4));
    await inventory('WIDGET-9', { type: 'ReceiveStock', data: { sku: 'WIDGET-9', quantity: 2 } });
  });
  afterAll(async () => {
    await t.close();
    await redis?.close();
  });

  it('counts on hand, reserved and available as the inventory stream does after reserve, commit, release, expire and return', async () => {
    await countersMatchStreams();
    expect(await counted('DRILL-1')).toEqual({
      sku: 'DRILL-1',
      onHand: 9,
      reserved: 4,
      available: 5,
      version: 10,
    });
    if (redis)
      expect(await redis.redis.hgetall(`${redis.prefix}stock:{inventory-DRILL-1}`)).toEqual({
        sku: 'DRILL-1',
        onHand: '9',
        reserved: '4',
        available: '5',
        version: '10',
      });
  });

  it('changes nothing when batches are delivered again, whole or in other cuts', async () => {
    await countersMatchStreams();
    const views: StreamViews<StockCounts> = redis
      ? redisStockCounters({ redis: redis.redis, prefix: redis.prefix })
      : inProcessStreamViews<StockCounts>();
    const projection = stockCountersProjection(views, t.platform.store);
    const events = await inventoryEvents();
    if (!redis) await projection.apply(events); // a fresh in-process model: built once, then re-delivered
    const state = async () =>
      redis
        ? await redis.snapshot('stock')
        : await readCounters(
            views,
            skus.map((sku) => streams.inventory(sku)),
          );
    const before = await state();
    expect(Object.keys(before)).toHaveLength(2);
    for (const size of [events.length, 1, 3]) {
      for (let i = 0; i < events.length; i += size) await projection.apply(events.slice(i, i + size));
      expect(await state()).toEqual(before);
    }
    expect(await readCounters(views, [streams.inventory('DRILL-1')])).toEqual([await fromStream('DRILL-1')]);
  });

  it('changes nothing when the projection restarts from an older checkpoint', async () => {
    await countersMatchStreams();
    const before = redis ? await redis.snapshot('stock') : undefined;
    const views = redis
      ? redisStockCounters({ redis: redis.redis, prefix: redis.prefix })
      : inProcessStreamViews<StockCounts>();
    // Another name: a checkpoint of its own, at the start of the log, over the same keys.
    const restarted = {
      ...stockCountersProjection(views, t.platform.store),
      name: `stock-counters-restarted-${uuidv7()}`,
    };
    const subscription = await runExternalProjection(t.platform.store, t.platform.db, restarted);
    try {
      const last = (await inventoryEvents())
        .map((e) => e.checkpoint)
        .sort(compareCheckpoints)
        .at(-1)!;
      await expect
        .poll(() => compareCheckpoints(subscription.checkpoint, last) >= 0, { timeout: 20_000 })
        .toBe(true);
    } finally {
      await subscription.stop();
    }
    if (redis) expect(await redis.snapshot('stock')).toEqual(before);
    for (const sku of skus)
      expect((await readCounters(views, [streams.inventory(sku)]))[0]).toEqual(await fromStream(sku));
  });

  it('rebuilds a SKU whose counters were lost from its stream, not from the next event alone', async () => {
    const stream = streams.inventory('WIDGET-9');
    await countersMatchStreams();
    const counts = { sku: 'WIDGET-9', reserved: 0 };
    expect(await counted('WIDGET-9')).toEqual({ ...counts, onHand: 2, available: 2, version: 1 });
    // Lost: Redis forgets the hash. In-process counters are lost with their process; a new process's
    // counters start empty, and a projection that starts late in the stream's life is handed only
    // the events after its start.
    const lost = redis ? undefined : inProcessStreamViews<StockCounts>();
    if (redis) {
      await redis.redis.del(`${redis.prefix}stock:{${stream}}`);
      expect(await redis.redis.exists(`${redis.prefix}stock:{${stream}}`)).toBe(0);
    }
    await inventory('WIDGET-9', { type: 'ReceiveStock', data: { sku: 'WIDGET-9', quantity: 3 } });
    if (lost) {
      const next = await t.platform.store.readStream(stream, { fromVersion: 2 });
      expect(next.map((e) => e.type)).toEqual(['StockReceived']);
      await stockCountersProjection(lost, t.platform.store).apply(next);
      expect(await readCounters(lost, [stream])).toEqual([
        { ...counts, onHand: 5, available: 5, version: 2 },
      ]);
    }
    await countersMatchStreams();
    // 2 + 3: counted from the stream, not 3 from the next event alone.
    expect(await counted('WIDGET-9')).toEqual({ ...counts, onHand: 5, available: 5, version: 2 });
  });

  it('is one of the projections operators see: listed with its checkpoint, its lag in /metrics', async () => {
    await countersMatchStreams();
    const overview = await t.platform.projections.overview(60_000);
    const listed = overview.find((p) => p.name === 'redis-stock-counters');
    if (!redis) {
      // In-process counters start over with their process and keep no checkpoint to report.
      expect(listed).toBeUndefined();
      return;
    }
    expect(listed).toMatchObject({ rebuildable: false, behind: false });
    expect(listed?.checkpoint).not.toBeNull();
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/projection_lag_seconds_count\{projection="redis-stock-counters"\} [1-9]/);
  });
});
