import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { PlacedOrder } from '../../src/domain/order/index.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import { createFraudReadModel, FactsNotCaughtUpError } from '../../src/projections/fraud/index.ts';
import { runSqlProjection } from '../../src/subscriptions/index.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { adminContext, checkout, orderState, stockProduct } from '../support/shop.ts';

// No lag to slip through: the rules are given a customer's facts only once the read model has applied
// the order's own placement, and with it every event before it in the log. A read model that is
// behind (here: stopped) makes the saga wait, never screen on what it does not know yet.

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

  it('are given only once the read model has applied the order’s placement', async () => {
    const model = createFraudReadModel(platform.db, { waitMs: 300 });
    const first = await checkout(
      platform,
      'facts-customer',
      [{ sku: 'FACTS-1', quantity: 1 }],
      'pm_card_one',
    );
    await decline(first);
    const follower = await runSqlProjection(platform.store, platform.db, model.projection);
    expect(await model.factsUpTo(await requestFor(first))).toEqual({
      declinesLast10Minutes: 1,
      ordersLastHour: 0,
      ordersFromAddressLastHour: null,
      paymentMethodsLastDay: 1,
      confirmedOrders: 0,
      orderAmount: 2_500,
    });
    await follower.stop();

    // The read model stops before the next placement: the facts it holds are not the customer's.
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
    await expect(model.factsUpTo(await requestFor(third))).rejects.toBeInstanceOf(FactsNotCaughtUpError);

    // The saga waits; the read model goes on meanwhile and the facts come once it reaches the order.
    const patient = createFraudReadModel(platform.db, { waitMs: 20_000 });
    const waiting = patient.factsUpTo(await requestFor(third));
    const again = await runSqlProjection(platform.store, platform.db, patient.projection);
    try {
      expect(await waiting).toEqual({
        declinesLast10Minutes: 2,
        ordersLastHour: 2,
        ordersFromAddressLastHour: null,
        paymentMethodsLastDay: 3,
        confirmedOrders: 0,
        orderAmount: 2_500,
      });
    } finally {
      await again.stop();
    }
  });
});
