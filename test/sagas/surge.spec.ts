import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { createCheckoutQueue } from '../../src/sagas/checkout/saga-queue.ts';
import { RecentRate } from '../../src/sagas/recent-rate.ts';
import { startQueueWorker } from '../../src/sagas/worker.ts';
import { freshPGlite, type TestDatabase } from '../support/databases.ts';

describe('the rate of orders lately', () => {
  it('counts the last quarter of a second, as a rate a second, and forgets what is older', () => {
    let now = 1_000;
    const rate = new RecentRate(() => now);
    rate.add(10);
    now += 120;
    rate.add(15);
    expect(rate.perSecond()).toBe(100); // 25 in 250 ms
    now += 140; // the first 10 are 260 ms old
    expect(rate.perSecond()).toBe(60);
    now += 10_000;
    expect(rate.perSecond()).toBe(0);
  });
});

// Queue-based load levelling: while orders pour in, the saga's worker drives only a few at once, so
// the requests placing them come first; once the surge is over it drives as many as it may.
describe('a queue worker in a surge', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshPGlite();
  });
  afterAll(() => database.drop());

  it('drives its surge share of orders at once while more arrive than the threshold, then all its slots', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `surge-${String(i).padStart(2, '0')}`);
    await database.db.query(
      `INSERT INTO checkout_saga (order_id, placed_at) SELECT id, now() FROM unnest($1::text[]) AS id`,
      [ids],
    );
    const queue = createCheckoutQueue(database.db);
    // What the queue's projection tells after each batch it committed: 100 orders every 50 ms (2,000 a second).
    const arrive = (orders = 100) => queue.projection.afterCommit!(new Array<RecordedEvent>(orders));
    arrive(100);
    let surging = true;
    const surge = setInterval(() => surging && arrive(), 50);

    let driving = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const worker = startQueueWorker(
      {
        queue,
        leaseOwnerPrefix: 'surge-test',
        drive: () =>
          new Promise<void>((release) => {
            most = Math.max(most, ++driving);
            releases.push(() => {
              driving--;
              release();
            });
          }),
      },
      {
        concurrency: 8,
        leaseMs: 60_000,
        retryDelayMs: 100,
        maxRetryDelayMs: 1_000,
        maxPollMs: 20,
        claimWhenSlotFrees: true,
        yielding: { above: 250, concurrency: 2, forMs: 60_000 },
      },
    );
    try {
      await expect.poll(() => driving).toBe(2);
      // Orders keep pouring in and the two driven finish one after the other: never more than two at once.
      for (let i = 0; i < 6; i++) {
        await expect.poll(() => releases.length).toBeGreaterThan(0);
        releases.shift()!();
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      expect(most).toBe(2);

      surging = false; // the surge is over: the worker takes as many as its slots allow
      await expect.poll(() => driving, { timeout: 5_000 }).toBe(8);
    } finally {
      clearInterval(surge);
      surging = false;
      const stopping = worker.stop();
      while (driving > 0 || releases.length > 0) {
        releases.splice(0).forEach((release) => release());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await stopping;
    }
  });
  it('drives all its slots while the surge lasts once the orders it claims have waited its longest', async () => {
    // Queued two minutes ago, with arrivals as high as ever: a surge that long is the usual load now.
    const ids = Array.from({ length: 40 }, (_, i) => `long-${String(i).padStart(2, '0')}`);
    await database.db.query(
      `INSERT INTO checkout_saga (order_id, placed_at)
       SELECT id, now() - interval '2 minutes' FROM unnest($1::text[]) AS id`,
      [ids],
    );
    const queue = createCheckoutQueue(database.db);
    const arrive = () => queue.projection.afterCommit!(new Array<RecordedEvent>(100));
    arrive();
    const surge = setInterval(arrive, 50);
    let driving = 0;
    const releases: (() => void)[] = [];
    const worker = startQueueWorker(
      {
        queue,
        leaseOwnerPrefix: 'long-surge-test',
        drive: () =>
          new Promise<void>((release) => {
            driving++;
            releases.push(() => {
              driving--;
              release();
            });
          }),
      },
      {
        concurrency: 8,
        leaseMs: 60_000,
        retryDelayMs: 100,
        maxRetryDelayMs: 1_000,
        maxPollMs: 20,
        claimWhenSlotFrees: true,
        yielding: { above: 250, concurrency: 2, forMs: 60_000 },
      },
    );
    try {
      expect(queue.arrivalsPerSecond()).toBeGreaterThan(250);
      await expect.poll(() => driving, { timeout: 5_000 }).toBe(8);
      expect(queue.arrivalsPerSecond()).toBeGreaterThan(250);
    } finally {
      clearInterval(surge);
      const stopping = worker.stop();
      while (driving > 0 || releases.length > 0) {
        releases.splice(0).forEach((release) => release());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await stopping;
    }
  });
});
