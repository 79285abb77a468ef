import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markShipmentDelivered, shipOrderLines } from '../../src/commands/fulfilment.ts';
import { requestRefund } from '../../src/commands/refunds.ts';
import { receiveReturn, requestReturn } from '../../src/commands/returns.ts';
import type { PlacedOrder } from '../../src/domain/order/index.ts';
import type { IntegrationEvent } from '../../src/integration/events.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { adminContext, checkout, orderState, stockProduct } from '../support/shop.ts';
import { publishedSchemaValidator } from './support/json-schemas.ts';
import {
  countBy,
  deleteTopicsAndGroups,
  expectedIntegrationEvents,
  recordTopics,
  sharedBrokers,
  uniquePrefix,
} from './support/kafka.ts';
import { allSettled, logShowsAllCommitted, until } from './support/wait.ts';

// An order's life after payment through Kafka (the real shared broker, PostgreSQL): shipped in two
// parts, delivered, a return asked for and received, refunds issued; each becomes a versioned
// integration event on the orders topic, and the notification service writes one email for each.

const done = async <E extends { code: string }, A>(result: Promise<Either<E, A>>): Promise<A> => {
  const outcome = await result;
  if (isLeft(outcome)) throw new Error(`refused: ${outcome.left.code}`);
  return outcome.right;
};

describe('after the sale through Kafka (shared broker, PostgreSQL)', { timeout: 180_000 }, () => {
  const prefix = uniquePrefix();
  const brokers = sharedBrokers();
  let t: TestApp;
  let recorder: Awaited<ReturnType<typeof recordTopics>>;
  let expected: IntegrationEvent[];
  let orderId: string;

  beforeAll(async () => {
    recorder = await recordTopics(brokers, prefix);
    t = await testApp('postgres', {
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_RELAY_LEASE_SECONDS: '2',
      PAYMENT_TIMEOUT_MS: '10000',
    });
    await stockProduct(t.platform, 'AFTER-K', 20, 1000);
    orderId = await checkout(t.platform, 'eve', [{ sku: 'AFTER-K', quantity: 3 }]);
    await allSettled(t.platform, [orderId], 60_000);
    const admin = () => ({ ...adminContext(), now: new Date() });
    const orders = { orders: t.platform.commands.order };
    for (const [key, quantity] of [
      ['k-ship-1', 2],
      ['k-ship-2', 1],
    ] as const) {
      const { shipmentId } = await done(
        shipOrderLines(orders, {
          orderId,
          idempotencyKey: key,
          lines: [{ sku: 'AFTER-K', quantity }],
          carrier: 'DHL',
          trackingNumber: `JD-${key}`,
          context: admin(),
        }),
      );
      await done(markShipmentDelivered(orders, { orderId, shipmentId, context: admin() }));
    }
    const returns = { ...orders, returnWindowDays: 30, orderOfReturn: async () => orderId };
    const { returnId } = await done(
      requestReturn(returns, {
        orderId,
        by: { userId: 'eve', role: 'customer' },
        idempotencyKey: 'k-return-1',
        lines: [{ sku: 'AFTER-K', quantity: 1 }],
        reason: 'broken handle',
        context: { ...admin(), actor: { id: 'eve', role: 'customer' } },
      }),
    );
    await done(
      receiveReturn(returns, {
        returnId,
        lines: [{ sku: 'AFTER-K', quantity: 1, restock: false }],
        context: admin(),
      }),
    );
    await done(
      requestRefund(orders, {
        orderId,
        idempotencyKey: 'k-refund-1',
        amount: { amount: 500, currency: 'USD' },
        reason: 'goodwill',
        context: admin(),
      }),
    );
    await until(
      'both refunds to be issued',
      async () => {
        const order = (await orderState(t.platform, orderId)) as PlacedOrder;
        return order.refunds.length === 2 && order.refunds.every((r) => r.status === 'issued');
      },
      60_000,
    );
    await logShowsAllCommitted(t.platform.db);
    expected = (await expectedIntegrationEvents(t.platform.store, 5)).filter(
      (e) => e.streamId === `order-${orderId}`,
    );
  }, 180_000);
  afterAll(async () => {
    await recorder?.stop();
    await t?.close();
    await deleteTopicsAndGroups(brokers, prefix);
  });

  it('publishes each shipment, delivery, return and refund to the orders topic, conforming to its schema', async () => {
    expect(countBy(expected, (e) => e.type)).toEqual({
      OrderPlaced: 1,
      OrderConfirmed: 1,
      OrderShipped: 2,
      OrderDelivered: 2,
      ReturnRequested: 1,
      ReturnReceived: 1,
      OrderRefunded: 2,
    });
    await expect
      .poll(() => expected.filter((e) => !recorder.eventIds().has(e.eventId)).length, { timeout: 60_000 })
      .toBe(0);
    const conforms = publishedSchemaValidator();
    const byId = new Map(recorder.records.map((r) => [(r.value as IntegrationEvent).eventId, r]));
    for (const event of expected) {
      const record = byId.get(event.eventId)!;
      expect(record.value).toEqual(event);
      expect(record.topic).toBe('orders');
      expect(record.key).toBe(`order-${orderId}`);
      expect(conforms(record.value as IntegrationEvent), event.type).toEqual([]);
    }
    const refunds = expected.filter((e) => e.type === 'OrderRefunded').map((e) => e.data.amount.amount);
    expect(refunds.sort((a, b) => a - b)).toEqual([500, 1000]);
  });

  it('puts one email into the outbox for each thing the customer should hear of', async () => {
    const kinds = async () =>
      (
        await t.platform.db.query<{ kind: string; customer_id: string }>(
          `SELECT kind, customer_id FROM notifications_outbox WHERE order_id = $1 ORDER BY kind`,
          [orderId],
        )
      ).map((r) => `${r.kind}:${r.customer_id}`);
    await expect.poll(async () => (await kinds()).length, { timeout: 60_000 }).toBe(9);
    expect(await kinds()).toEqual(
      [
        'order_confirmed',
        'order_delivered',
        'order_delivered',
        'order_refunded',
        'order_refunded',
        'order_shipped',
        'order_shipped',
        'return_received',
        'return_requested',
      ].map((kind) => `${kind}:eve`),
    );
  });
});
