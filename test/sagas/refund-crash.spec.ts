import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, it, type ExpectStatic } from 'vitest';
import { cancelPaidOrder, markShipmentDelivered, shipOrderLines } from '../../src/commands/fulfilment.ts';
import { streams } from '../../src/commands/index.ts';
import { requestRefund } from '../../src/commands/refunds.ts';
import { receiveReturn, requestReturn } from '../../src/commands/returns.ts';
import { loadConfig } from '../../src/config.ts';
import type { PlacedOrder } from '../../src/domain/order/index.ts';
import { SimulatedGateway } from '../../src/payments/simulated-gateway.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import type { RefundMilestone } from '../../src/sagas/refund/decisions.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { killStrayWorkers, spawnWorker, within, type WorkerProcess } from '../support/saga-worker-process.ts';
import { adminContext, checkout, inventoryOf, orderState, paymentOf, stockProduct } from '../support/shop.ts';

// Real crashes of the refund process: a worker process (test/support/crashing-worker.ts, ROLE=worker)
// SIGKILLs itself at one step of it; a clean worker (src/main.ts) then resumes from the streams. Every
// refund must be issued exactly once (the simulated gateway, shared and durable, is the judge: its
// ledger holds what it refunded, its request log each key it answered), and every unit must be on hand,
// sold or with the customer.

const CRASH_POINTS = [
  'refund-before-first-step',
  'refund-after-stock',
  'refund-after-gateway',
  'refund-after-payment-record',
  'refund-after-issued',
] as const satisfies readonly RefundMilestone[];
type CrashPoint = (typeof CRASH_POINTS)[number];

const workerEnv = (database: TestDatabase) => ({
  DATABASE_URL: database.url!,
  SAGA_LEASE_SECONDS: '1',
  PAYMENT_TIMEOUT_MS: '1000',
});

type Shop = { database: TestDatabase; platform: Platform; gateway: SimulatedGateway; x: string; y: string };

/** A fresh PostgreSQL database and the platform on it, WITHOUT workers: this process only shops. */
async function openShop(name: string): Promise<Shop> {
  const database = await freshPostgres(1, { migrated: false });
  const platform = await openPlatform(
    loadConfig({
      DATABASE_URL: database.url!,
      JWT_SECRET: 'crash-test-secret-that-is-long-enough-for-hs256',
      LOG_LEVEL: 'silent',
      DATABASE_POOL_SIZE: '4',
      PAYMENT_TIMEOUT_MS: '1000',
    }),
  );
  if (!(platform.gateway instanceof SimulatedGateway)) throw new Error('expected the simulated gateway');
  const [x, y] = [`${name}-X`, `${name}-Y`];
  await stockProduct(platform, x, 10, 1000);
  await stockProduct(platform, y, 10, 500);
  return { database, platform, gateway: platform.gateway, x, y };
}

async function closeShop(shop: Shop) {
  await shop.platform.close();
  await shop.database.drop();
}

const admin = () => ({ ...adminContext(), now: new Date() });

async function done<E extends { code: string }, A>(result: Promise<Either<E, A>>): Promise<A> {
  const outcome = await result;
  if (isLeft(outcome)) throw new Error(`refused: ${outcome.left.code}`);
  return outcome.right;
}

/** A confirmed, captured order, checked out and driven through checkout in this process. */
async function paidOrder(shop: Shop, customerId: string, lines: { sku: string; quantity: number }[]) {
  const orderId = await checkout(shop.platform, customerId, lines);
  await shop.platform.saga.drive(orderId);
  const order = (await orderState(shop.platform, orderId)) as PlacedOrder;
  if (order.status !== 'confirmed' || (await paymentOf(shop.platform, orderId)).status !== 'captured')
    throw new Error(`order ${orderId} is ${order.status}`);
  return orderId;
}

/**
 * The work the refund process will find: two partial refunds of one order (1), a paid order cancelled
 * (2: its stock back, refunded in full), and a delivered order whose return was received (3: two units
 * restocked, refunded at the price paid).
 */
async function afterSaleWork(shop: Shop) {
  const { platform, x, y } = shop;
  const orders = { orders: platform.commands.order };
  const one = await paidOrder(shop, 'customer-1', [{ sku: x, quantity: 2 }]);
  for (const [key, amount] of [
    ['refund-one-a', 500],
    ['refund-one-b', 700],
  ] as const)
    await done(
      requestRefund(orders, {
        orderId: one,
        idempotencyKey: key,
        amount: { amount, currency: 'USD' },
        reason: 'damaged box',
        context: admin(),
      }),
    );

  const two = await paidOrder(shop, 'customer-2', [
    { sku: x, quantity: 1 },
    { sku: y, quantity: 2 },
  ]);
  await done(cancelPaidOrder(orders, { orderId: two, reason: 'customer called', context: admin() }));

  const three = await paidOrder(shop, 'customer-3', [{ sku: y, quantity: 3 }]);
  const { shipmentId } = await done(
    shipOrderLines(orders, {
      orderId: three,
      idempotencyKey: 'ship-three',
      lines: [{ sku: y, quantity: 3 }],
      carrier: 'UPS',
      trackingNumber: '1Z3',
      context: admin(),
    }),
  );
  await done(markShipmentDelivered(orders, { orderId: three, shipmentId, context: admin() }));
  const returns = { orders: platform.commands.order, returnWindowDays: 30, orderOfReturn: async () => three };
  const { returnId } = await done(
    requestReturn(returns, {
      orderId: three,
      by: { userId: 'customer-3', role: 'customer' },
      idempotencyKey: 'return-three',
      lines: [{ sku: y, quantity: 2 }],
      reason: 'too many',
      context: { ...admin(), actor: { id: 'customer-3', role: 'customer' } },
    }),
  );
  await done(
    receiveReturn(returns, { returnId, lines: [{ sku: y, quantity: 2, restock: true }], context: admin() }),
  );
  return { one, two, three, expectedRefunded: { [one]: 1200, [two]: 2000, [three]: 1000 } };
}

const queued = async (shop: Shop) => {
  const [row] = await shop.platform.db.query<{ n: string }>(`SELECT count(*) AS n FROM refund_process`);
  return Number(row!.n);
};

const orderOf = async (shop: Shop, orderId: string) =>
  (await orderState(shop.platform, orderId)) as PlacedOrder;

const openWork = (order: PlacedOrder) =>
  order.refunds.some((r) => r.status !== 'issued') ||
  order.returns.some((r) => r.received.some((l) => l.restock && !r.restockedSkus.includes(l.sku))) ||
  (order.cancelledAfterPayment && order.stockReturnedSkus.length < order.lines.length);

/** What the streams and the gateway show right after a crash at each point: the worker died exactly there. */
async function crashEvidence(shop: Shop, orderIds: string[], crashAt: CrashPoint): Promise<boolean> {
  const { platform } = shop;
  const answered = await platform.db.query<{ idempotency_key: string }>(
    `SELECT idempotency_key FROM simulated_gateway_requests WHERE idempotency_key LIKE '%:refund:%' AND outcome IS NOT NULL`,
  );
  for (const orderId of orderIds) {
    const order = await orderOf(shop, orderId);
    const payment = await paymentOf(platform, orderId);
    const refundIds = payment.status === 'not_requested' ? [] : payment.refundIds;
    switch (crashAt) {
      case 'refund-before-first-step':
        if (answered.length > 0 || order.refunds.some((r) => r.status === 'issued')) return false;
        break;
      case 'refund-after-stock': {
        // Units are back on the inventory stream, the order has not recorded it.
        const events = [
          ...(await platform.store.readStream(streams.inventory(shop.x))),
          ...(await platform.store.readStream(streams.inventory(shop.y))),
        ];
        const back = events.some(
          (e) =>
            e.type === 'ReservationReturned' ||
            (e.type === 'StockAdjusted' &&
              String((e.data as { reason: string }).reason).startsWith('return ')),
        );
        if (
          back &&
          order.stockReturnedSkus.length === 0 &&
          order.returns.every((r) => r.restockedSkus.length === 0)
        )
          return true;
        break;
      }
      case 'refund-after-gateway':
        // The gateway refunded under a key, the payment stream has not heard of it.
        if (
          order.refunds.some(
            (r) =>
              answered.some((a) => a.idempotency_key.startsWith(`${orderId}:refund:${r.refundId}`)) &&
              !refundIds.includes(r.refundId),
          )
        )
          return true;
        break;
      case 'refund-after-payment-record':
        if (order.refunds.some((r) => refundIds.includes(r.refundId) && r.status !== 'issued')) return true;
        break;
      case 'refund-after-issued':
        if (order.refunds.some((r) => r.status === 'issued') && (await queued(shop)) > 0) return true;
        break;
    }
  }
  return crashAt === 'refund-before-first-step';
}

/** Runs `worker` until every order's after-sale work is done and the refund queue is empty. */
async function settleWith(shop: Shop, orderIds: string[], worker: WorkerProcess, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = (await Promise.all(orderIds.map((id) => orderOf(shop, id)))).filter(openWork);
    if (open.length === 0 && (await queued(shop)) === 0) break;
    if (Date.now() > deadline)
      throw new Error(`${open.length} orders still open, ${await queued(shop)} queued\n${worker.output()}`);
    await sleep(100);
  }
  return within(worker.stop('SIGTERM'), 15_000, () => 'the worker did not stop on SIGTERM');
}

async function checkInvariants(
  expect: ExpectStatic,
  shop: Shop,
  work: Awaited<ReturnType<typeof afterSaleWork>>,
) {
  const { platform, gateway } = shop;
  const ledger = await gateway.ledger();
  const keys = await platform.db.query<{ idempotency_key: string; n: string }>(
    `SELECT idempotency_key, count(*) AS n FROM simulated_gateway_requests
      WHERE idempotency_key LIKE '%:refund:%' GROUP BY idempotency_key`,
  );
  for (const [orderId, refunded] of Object.entries(work.expectedRefunded)) {
    const order = await orderOf(shop, orderId);
    const payment = await paymentOf(platform, orderId);
    const hold = ledger.authorizations.filter((a) => a.orderId === orderId);
    const label = `order ${orderId}`;
    // Refunded exactly once: the gateway, the payment stream and the order agree on the amount.
    expect(hold, label).toEqual([expect.objectContaining({ captures: 1, refunded })]);
    expect(payment, label).toMatchObject({ refundedAmount: refunded });
    expect(order.refunded, label).toBe(refunded);
    expect(
      order.refunds.every((r) => r.status === 'issued'),
      label,
    ).toBe(true);
    const paymentEvents = await platform.store.readStream(streams.payment(orderId));
    for (const refund of order.refunds) {
      const recorded = paymentEvents.filter(
        (e) => e.type === 'PaymentRefunded' && (e.data as { refundId?: string }).refundId === refund.refundId,
      );
      expect(recorded, `${label}: ${refund.refundId} recorded once`).toHaveLength(1);
      expect(
        keys.filter((k) => k.idempotency_key.startsWith(`${orderId}:refund:${refund.refundId}`)),
        `${label}: one gateway key per refund, answered once`,
      ).toEqual([{ idempotency_key: `${orderId}:refund:${refund.refundId}`, n: expect.anything() }]);
    }
    const orderEvents = await platform.store.readStream(streams.order(orderId));
    const issued = orderEvents.filter((e) => e.type === 'RefundIssued').length;
    expect(issued, `${label}: each refund issued once`).toBe(order.refunds.length);
  }
  expect(await orderOf(shop, work.two)).toMatchObject({
    status: 'cancelled',
    stockReturnedSkus: [shop.x, shop.y],
  });
  expect(await orderOf(shop, work.three)).toMatchObject({
    status: 'delivered',
    returns: [{ restockedSkus: [shop.y] }],
  });
  // X: 10 - 2 sold (order 1) - 1 (order 2) + 1 back (order 2 cancelled).
  // Y: 10 - 2 (order 2) - 3 sold (order 3) + 2 back (order 2 cancelled) + 2 restocked (order 3's return).
  expect(await inventoryOf(platform, shop.x)).toMatchObject({ onHand: 8, reserved: 0 });
  expect(await inventoryOf(platform, shop.y)).toMatchObject({ onHand: 9, reserved: 0 });
}

/** Worker processes boot in 2-3 s of CPU each: a couple of crash points at a time. */
function lanes(count: number) {
  let free = count;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}
const inLane = lanes(2);

afterAll(killStrayWorkers);

describe('refund process crash recovery (worker processes on PostgreSQL)', () => {
  it.concurrent.for(CRASH_POINTS)(
    'a worker killed at %s: a restarted worker issues every refund exactly once, stock conserved',
    { timeout: 120_000 }, // includes the wait for a free lane
    (crashAt, { expect }) =>
      inLane(async () => {
        const shop = await openShop(crashAt.replace('refund-', ''));
        try {
          const work = await afterSaleWork(shop);
          const orderIds = [work.one, work.two, work.three];

          const crashing = spawnWorker(workerEnv(shop.database), { crashAt });
          const crash = await within(
            crashing.exited,
            45_000,
            () => `worker never reached ${crashAt}\n${crashing.output()}`,
          );
          expect(crash, crashing.output()).toEqual({ code: null, signal: 'SIGKILL' });
          expect(await crashEvidence(shop, orderIds, crashAt), `the streams show a crash at ${crashAt}`).toBe(
            true,
          );
          expect(await queued(shop), 'the order being driven stays queued').toBeGreaterThan(0);

          const clean = spawnWorker(workerEnv(shop.database));
          const exit = await settleWith(shop, orderIds, clean);
          expect(exit, clean.output()).toEqual({ code: 0, signal: null });
          await checkInvariants(expect, shop, work);
        } finally {
          await closeShop(shop);
        }
      }),
  );
});
