import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { PlacedOrder } from '../../src/domain/order/index.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { killStrayWorkers, spawnWorker, within, type WorkerProcess } from '../support/saga-worker-process.ts';
import { checkout, inventoryOf, orderState, stockProduct } from '../support/shop.ts';
import { DECLINING_CARDS, outcome } from './support.ts';

// A worker process killed right after it recorded the fraud rules' decision, before any reservation
// (test/support/crashing-worker.ts SIGKILLs itself at `after-screening`): a clean worker resumes each
// order from its stream, without deciding again. An allowed order is reserved and confirmed once, a
// refused one ends cancelled without reaching the gateway, and no unit is left reserved.

describe('a worker killed between the fraud decision and the reservation (PostgreSQL, worker processes)', () => {
  let database: TestDatabase;
  let platform: Platform;
  const env = () => ({ DATABASE_URL: database.url!, SAGA_LEASE_SECONDS: '1', PAYMENT_TIMEOUT_MS: '1000' });

  beforeAll(async () => {
    database = await freshPostgres(4, { migrated: false });
    // This process only shops: the workers are processes of their own.
    platform = await openPlatform(
      loadConfig({ DATABASE_URL: database.url!, LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '4' }),
    );
    await stockProduct(platform, 'CRASH-FRAUD', 10, 1_000);
  });
  afterAll(async () => {
    await killStrayWorkers();
    await platform.close();
    await database.drop();
  });

  const placed = (orderId: string) => orderState(platform, orderId) as Promise<PlacedOrder>;
  const types = async (orderId: string) =>
    (await platform.store.readStream(streams.order(orderId))).map((e) => e.type);
  /** Authorizations the (durable, shared) simulated gateway was asked for, per order. */
  const authorizationsOf = async (orderId: string) =>
    (
      await platform.db.query(`SELECT 1 FROM simulated_gateway_requests WHERE idempotency_key LIKE $1`, [
        `${orderId}:authorize:%`,
      ])
    ).length;

  async function until(what: string, worker: WorkerProcess, done: () => Promise<boolean>, ms = 30_000) {
    const deadline = Date.now() + ms;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`${what} after ${ms} ms\n${worker.output()}`);
      await sleep(100);
    }
  }
  const settled = async (orderIds: readonly string[]) =>
    (await Promise.all(orderIds.map(placed))).every(
      (o) => o.status === 'confirmed' || o.status === 'cancelled',
    );

  it(
    'resumes each order from its recorded decision: the allowed one confirmed once, the refused one never at the gateway',
    { timeout: 120_000 },
    async () => {
      // A card tester's three declines, settled by a clean worker.
      const declined: string[] = [];
      for (const card of DECLINING_CARDS.slice(0, 3))
        declined.push(await checkout(platform, 'crash-tester', [{ sku: 'CRASH-FRAUD', quantity: 1 }], card));
      const clean = spawnWorker(env());
      await until('the declines did not settle', clean, () => settled(declined));
      await within(clean.stop('SIGTERM'), 15_000, () => 'the clean worker did not stop');

      // Two orders wait; a worker dies right after recording the first decision it makes.
      const allowed = await checkout(platform, 'crash-shopper', [{ sku: 'CRASH-FRAUD', quantity: 2 }]);
      const refused = await checkout(
        platform,
        'crash-tester',
        [{ sku: 'CRASH-FRAUD', quantity: 1 }],
        'pm_card_visa',
      );
      const crashing = spawnWorker(env(), { crashAt: 'after-screening' });
      const exit = await within(crashing.exited, 60_000, () => `no crash\n${crashing.output()}`);
      expect(exit.signal).toBe('SIGKILL');
      // Died there: decisions recorded (the worker drives both at once), nothing after them but what a
      // decision itself records.
      let screened = 0;
      for (const orderId of [allowed, refused]) {
        const after = (await types(orderId)).filter((t) => t !== 'OrderPlaced');
        if (after.length === 0) continue;
        screened++;
        expect(after).toEqual(orderId === refused ? ['OrderScreened', 'OrderCancelled'] : ['OrderScreened']);
      }
      expect(screened).toBeGreaterThan(0);
      expect(await inventoryOf(platform, 'CRASH-FRAUD')).toMatchObject({ reserved: 0 });

      const resumer = spawnWorker(env());
      await until('the orders did not settle after the crash', resumer, () => settled([allowed, refused]));
      await within(resumer.stop('SIGTERM'), 15_000, () => 'the worker did not stop');

      expect(outcome(await placed(allowed))).toBe('confirmed');
      expect(outcome(await placed(refused))).toBe('cancelled:fraud_suspected');
      for (const orderId of [allowed, refused])
        expect(
          (await types(orderId)).filter((t) => t === 'OrderScreened'),
          'decided once',
        ).toHaveLength(1);
      expect(await authorizationsOf(allowed)).toBe(1);
      expect(await authorizationsOf(refused)).toBe(0);
      expect(await types(refused)).toEqual(['OrderPlaced', 'OrderScreened', 'OrderCancelled']);
      // 10 received: 2 sold, nothing reserved (the declined orders' units were given back).
      expect(await inventoryOf(platform, 'CRASH-FRAUD')).toMatchObject({ onHand: 8, reserved: 0 });
    },
  );
});
