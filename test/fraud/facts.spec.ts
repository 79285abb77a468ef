import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { PlacedOrder } from '../../src/domain/order/index.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import {
  createFraudReadModel,
  FactsNotCaughtUpError,
  FRAUD_PROJECTION,
} from '../../src/projections/fraud/index.ts';
import { compareCheckpoints, loadCheckpoint, runSqlProjection } from '../../src/subscriptions/index.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { adminContext, checkout, orderState, stockProduct } from '../support/shop.ts';

// No lag to slip through: the rules are given a customer's facts only once the read model has applied
// the order's own placement, and with it every event before it in the log. A read model that is behind
// (here: nobody follows the log) is brought up to the order first, fenced by its checkpoint as its live
// follower is, so that the two never apply an event twice.

describe.each(['embedded', 'postgres'] as const)('the fraud rules’ facts (%s)', (profile) => {
  let platform: Platform;
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = profile === 'postgres' ? await freshPostgres(8, { migrated: false }) : undefined;
    // No workers: this test alone runs the read model, when it says so.
    platform = await openPlatform(
      loadConfig({
        DATA_DIR: 'memory://',
        LOG_LEVEL: 'silent',
        PASSWORD_HASH_COST: '10',
        ...(database ? { DATABASE_URL: database.url! } : {}),
      }),
    );
    await stockProduct(platform, 'FACTS-1', 10, 2_500);
  });
  afterAll(async () => {
    await platform.close();
    await database?.drop();
  });

  const requestFor = async (orderId: string) => {
    const order = (await orderState(platform, orderId)) as PlacedOrder;
    return {
      orderId,
      customerId: order.customerId,
      clientKey: order.clientKey,
      paymentMethod: order.paymentMethod,
      amount: order.total,
      placedAt: order.placedAt,
    };
  };

  async function decline(orderId: string) {
    const at = new Date().toISOString();
    const payment = streams.payment(orderId);
    await platform.commands.payment.handle(
      payment,
      {
        type: 'RequestPayment',
        data: {
          orderId,
          amount: { amount: 2_500, currency: 'USD' },
          paymentMethod: 'pm_x',
          idempotencyKey: `${orderId}:1`,
          attempt: 1,
          at,
        },
      },
      adminContext(),
    );
    await platform.commands.payment.handle(
      payment,
      { type: 'RecordPaymentFailure', data: { orderId, reason: 'generic_decline', at } },
      adminContext(),
    );
  }

  const checkpoint = () => loadCheckpoint(platform.db, FRAUD_PROJECTION);
  const placement = async (orderId: string) =>
    (await platform.store.readStream(streams.order(orderId), { maxCount: 1 }))[0]!.checkpoint;

  it('are counted only once the read model has applied the order’s placement: one behind is brought up to it first', async () => {
    const model = createFraudReadModel(platform.db, { store: platform.store, waitMs: 2_000 });
    const first = await checkout(
      platform,
      'facts-customer',
      [{ sku: 'FACTS-1', quantity: 1 }],
      'pm_card_one',
    );
    await decline(first);
    // Nobody follows the log here: the read model has applied nothing.
    expect(compareCheckpoints(await checkpoint(), await placement(first))).toBeLessThan(0);
    expect(await model.factsUpTo(await requestFor(first))).toEqual({
      declinesLast10Minutes: 1,
      ordersLastHour: 0,
      ordersFromAddressLastHour: null,
      paymentMethodsLastDay: 1,
      confirmedOrders: 0,
      orderAmount: 2_500,
    });
    expect(compareCheckpoints(await checkpoint(), await placement(first))).toBeGreaterThanOrEqual(0);

    // Behind again by two orders and a decline: the third order's facts count all of them.
    const second = await checkout(
      platform,
      'facts-customer',
      [{ sku: 'FACTS-1', quantity: 1 }],
      'pm_card_two',
    );
    await decline(second);
    const third = await checkout(
      platform,
      'facts-customer',
      [{ sku: 'FACTS-1', quantity: 1 }],
      'pm_card_three',
    );
    expect(compareCheckpoints(await checkpoint(), await placement(third))).toBeLessThan(0);
    const facts = await Promise.all([1, 2, 3].map(async () => model.factsUpTo(await requestFor(third))));
    for (const counted of facts)
      expect(counted).toEqual({
        declinesLast10Minutes: 2,
        ordersLastHour: 2,
        ordersFromAddressLastHour: null,
        paymentMethodsLastDay: 3,
        confirmedOrders: 0,
        orderAmount: 2_500,
      });

    // The live follower, started from where it last was, applies nothing twice.
    const follower = await runSqlProjection(platform.store, platform.db, model.projection);
    try {
      const fourth = await checkout(
        platform,
        'facts-customer',
        [{ sku: 'FACTS-1', quantity: 1 }],
        'pm_card_four',
      );
      await expect
        .poll(async () => compareCheckpoints(await checkpoint(), await placement(fourth)))
        .toBeGreaterThanOrEqual(0);
      const rows = await platform.db.query<{ n: string | number }>(
        `SELECT count(*) AS n FROM fraud_orders WHERE customer_id = 'facts-customer'`,
      );
      expect(Number(rows[0]!.n)).toBe(4);
      expect((await model.factsUpTo(await requestFor(fourth))).ordersLastHour).toBe(3);
    } finally {
      await follower.stop();
    }
  });

  it('are refused for an order never placed', async () => {
    const model = createFraudReadModel(platform.db, { store: platform.store, waitMs: 200 });
    await expect(
      model.factsUpTo({
        orderId: '00000000-0000-4000-8000-000000000000',
        customerId: 'nobody',
        clientKey: null,
        paymentMethod: 'pm_card_visa',
        amount: { amount: 100, currency: 'USD' },
        placedAt: new Date().toISOString(),
      }),
    ).rejects.toBeInstanceOf(FactsNotCaughtUpError);
  });
});
