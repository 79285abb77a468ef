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

  /**
   * 40 orders queued `ago` (an SQL interval) and a worker of 8 slots (2 in a surge, for orders that
   * waited under a minute) whose drives end only when released, while the queue's projection tells of
   * 100 orders every 50 ms (2,000 a second) until `surging` is turned off.
   */
  async function surge(name: string, ago: string) {
    const ids = Array.from({ length: 40 }, (_, i) => `${name}-${String(i).padStart(2, '0')}`);
    await database.db.query(
      `INSERT INTO checkout_saga (order_id, placed_at)
       SELECT id, now() - $2::interval FROM unnest($1::text[]) AS id`,
      [ids, ago],
    );
    const queue = createCheckoutQueue(database.db);
    const arrive = () => queue.projection.afterCommit!(new Array<RecordedEvent>(100));
    arrive();
    const run = {
      surging: true,
      driving: 0,
      most: 0,
      queue,
      releases: [] as (() => void)[],
      /** What the worker told of its pace at each claim. */
      paces: [] as { slots: number; waitedMs: number }[],
    };
    const arrivals = setInterval(() => run.surging && arrive(), 50);
    const worker = startQueueWorker(
      {
        queue,
        leaseOwnerPrefix: name,
        drive: () =>
          new Promise<void>((release) => {
            run.most = Math.max(run.most, ++run.driving);
            run.releases.push(() => {
              run.driving--;
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
        onPace: (pace) => run.paces.push(pace),
      },
    );
    const stop = async () => {
      clearInterval(arrivals);
      run.surging = false;
      const stopping = worker.stop();
      while (run.driving > 0 || run.releases.length > 0) {
        run.releases.splice(0).forEach((release) => release());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await stopping;
    };
    return Object.assign(run, { stop });
  }

  it('drives its surge share of orders at once while more arrive than the threshold, then all its slots', async () => {
    const run = await surge('surge', '0 seconds');
    try {
      await expect.poll(() => run.driving).toBe(2);
      // Orders keep pouring in and the two driven finish one after the other: never more than two at once.
      for (let i = 0; i < 6; i++) {
        await expect.poll(() => run.releases.length).toBeGreaterThan(0);
        run.releases.shift()!();
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      expect(run.most).toBe(2);
      expect(run.paces.filter((p) => p.slots === 2).length).toBeGreaterThan(0);
      expect(Math.max(...run.paces.map((p) => p.waitedMs))).toBeLessThan(60_000);

      run.surging = false; // the surge is over: the worker takes as many as its slots allow
      await expect.poll(() => run.driving, { timeout: 5_000 }).toBe(8);
    } finally {
      await run.stop();
    }
  });

  it('drives all its slots while the surge lasts once the orders it claims have waited its longest', async () => {
    // Queued two minutes ago, with arrivals as high as ever: a surge that long is the usual load now.
    const run = await surge('long-surge', '2 minutes');
    try {
      await expect.poll(() => run.driving, { timeout: 5_000 }).toBe(8);
      expect(run.queue.arrivalsPerSecond()).toBeGreaterThan(250);
      expect(run.paces.at(-1)).toEqual({ slots: 8, waitedMs: expect.any(Number) });
      expect(Math.max(...run.paces.map((p) => p.waitedMs))).toBeGreaterThanOrEqual(120_000);
    } finally {
      await run.stop();
    }
  });
});
