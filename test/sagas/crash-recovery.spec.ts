import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, it, type ExpectStatic } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { PlacedOrder } from '../../src/domain/order/index.ts';
import { SimulatedGateway, type Ledger } from '../../src/payments/simulated-gateway.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { killStrayWorkers, spawnWorker, within, type WorkerProcess } from '../support/saga-worker-process.ts';
import { checkout, inventoryOf, orderState, paymentOf, stockProduct } from '../support/shop.ts';

// Real crashes: a worker process (test/support/crashing-worker.ts: the platform as src/main.ts opens
// it, ROLE=worker) SIGKILLs itself at one step of the checkout saga; a clean worker (src/main.ts)
// then resumes from the streams. Every order must settle once, every unit must be accounted for, and
// the gateway (shared, durable) must never have taken money twice.

const workerEnv = (database: TestDatabase, extra: Record<string, string> = {}) => ({
  DATABASE_URL: database.url!,
  SAGA_LEASE_SECONDS: '1',
  PAYMENT_TIMEOUT_MS: '1000',
  ...extra,
});

type Shop = {
  database: TestDatabase;
  platform: Platform;
  gateway: SimulatedGateway;
  /** Units received per SKU: what every unit must be accounted against. */
  received: Map<string, number>;
  orders: { orderId: string; lines: { sku: string; quantity: number }[]; expected?: string }[];
};

/** A fresh PostgreSQL database and the platform on it, WITHOUT workers: this process only shops. */
async function openShop(): Promise<Shop> {
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
  return { database, platform, gateway: platform.gateway, received: new Map(), orders: [] };
}

async function closeShop(shop: Shop) {
  await shop.platform.close();
  await shop.database.drop();
}

async function receive(shop: Shop, sku: string, quantity: number) {
  await stockProduct(shop.platform, sku, quantity, 1000);
  shop.received.set(sku, quantity);
}

async function order(
  shop: Shop,
  lines: { sku: string; quantity: number }[],
  paymentMethod: string,
  expected?: string,
) {
  const orderId = await checkout(shop.platform, `customer-${shop.orders.length}`, lines, paymentMethod);
  shop.orders.push({ orderId, lines, ...(expected ? { expected } : {}) });
}

const queued = async (shop: Shop) => {
  const [row] = await shop.platform.db.query<{ n: string }>(`SELECT count(*) AS n FROM checkout_saga`);
  return Number(row!.n);
};

const placedOrders = (shop: Shop) =>
  Promise.all(
    shop.orders.map(async ({ orderId }) => (await orderState(shop.platform, orderId)) as PlacedOrder),
  );

/** Runs clean `workers` until every order is confirmed or cancelled and the saga queue is empty. */
async function settleWith(shop: Shop, workers: WorkerProcess[], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const orders = await placedOrders(shop);
    const open = orders.filter((o) => o.status !== 'confirmed' && o.status !== 'cancelled');
    if (open.length === 0 && (await queued(shop)) === 0) break;
    if (Date.now() > deadline)
      throw new Error(
        `${open.length} orders still open, ${await queued(shop)} queued after ${timeoutMs} ms\n` +
          workers.map((w) => w.output()).join('\n'),
      );
    await sleep(100);
  }
  const exits = await within(
    Promise.all(workers.map((w) => w.stop('SIGTERM'))),
    15_000,
    () => 'the workers did not stop on SIGTERM',
  );
  return exits;
}

/**
 * What must hold after any crash and recovery: each order settled exactly once (as expected, where the
 * test knows the outcome), stock conserved with nothing left reserved, and money taken exactly for the
 * confirmed orders, once, with every other hold released.
 */
async function checkInvariants(expect: ExpectStatic, shop: Shop) {
  const { platform } = shop;
  const ledger: Ledger = await shop.gateway.ledger();
  const sold = new Map<string, number>();
  for (const { orderId, lines, expected } of shop.orders) {
    const order = (await orderState(platform, orderId)) as PlacedOrder;
    const payment = await paymentOf(platform, orderId);
    const history = (await platform.store.readStream(streams.order(orderId))).map((e) => e.type);
    const paymentHistory = (await platform.store.readStream(streams.payment(orderId))).map((e) => e.type);
    const holds = ledger.authorizations.filter((a) => a.orderId === orderId);
    const label = `order ${orderId} (${order.paymentMethod}, ${JSON.stringify(lines)})`;

    expect(order.status, label).toMatch(/^(confirmed|cancelled)$/);
    if (expected)
      expect(`${order.status}${order.cancellationReason ? `:${order.cancellationReason}` : ''}`, label).toBe(
        expected,
      );
    expect(
      history.filter((t) => t === 'OrderConfirmed' || t === 'OrderCancelled'),
      label,
    ).toHaveLength(1);
    expect(paymentHistory.filter((t) => t === 'PaymentRequested').length, label).toBeLessThanOrEqual(1);
    expect(paymentHistory.filter((t) => t === 'PaymentCaptured').length, label).toBeLessThanOrEqual(1);
    expect(holds.length, `${label}: one authorization at most`).toBeLessThanOrEqual(1);
    expect(ledger.capturesByOrder[orderId] ?? 0, `${label}: captures`).toBeLessThanOrEqual(1);

    if (order.status === 'confirmed') {
      for (const { sku, quantity } of order.lines) sold.set(sku, (sold.get(sku) ?? 0) + quantity);
      expect(ledger.capturesByOrder[orderId], `${label}: captured once`).toBe(1);
      expect(holds, label).toEqual([
        expect.objectContaining({ status: 'captured', captures: 1, amount: order.total }),
      ]);
      expect(payment, label).toMatchObject({ status: 'captured', gatewayRef: holds[0]!.gatewayRef });
    } else {
      expect(ledger.capturesByOrder[orderId] ?? 0, `${label}: nothing captured`).toBe(0);
      for (const hold of holds)
        expect(hold, `${label}: hold released`).toMatchObject({ status: 'voided', captures: 0 });
      expect(payment.status, label).toMatch(/^(not_requested|failed|voided)$/);
    }
  }
  for (const [sku, received] of shop.received) {
    const stock = await inventoryOf(platform, sku);
    expect({ sku, onHandPlusSold: stock.onHand + (sold.get(sku) ?? 0), reserved: stock.reserved }).toEqual({
      sku,
      onHandPlusSold: received,
      reserved: 0,
    });
    const active = [...stock.reservations.entries()].filter(([, r]) => r.status === 'active');
    expect(active, `${sku}: reservations still holding stock`).toEqual([]);
  }
  // No hold anywhere in the gateway is left dangling, whoever made it.
  expect(ledger.authorizations.filter((a) => a.status === 'authorized' || a.status === 'refunded')).toEqual(
    [],
  );
}

const CRASH_POINTS = [
  'before-first-step',
  'mid-reservation',
  'after-reservation',
  'after-authorization',
  'after-confirmation',
  'after-capture',
] as const;
type CrashPoint = (typeof CRASH_POINTS)[number];

/**
 * What the streams and the gateway look like right after a crash at each point: proof that the worker
 * died exactly there (for the order it was driving when it died), not merely somewhere.
 */
const crashEvidence: Record<CrashPoint, (shop: Shop) => Promise<boolean>> = {
  async 'before-first-step'(shop) {
    const orders = await placedOrders(shop);
    const answers = await shop.platform.db.query(`SELECT 1 FROM simulated_gateway_requests`);
    return orders.every((o) => o.status === 'pending' && o.reservedSkus.length === 0) && answers.length === 0;
  },
  async 'mid-reservation'(shop) {
    return someOrder(
      shop,
      async (o) =>
        o.status === 'pending' &&
        o.reservedSkus.length >= 1 &&
        o.reservedSkus.length < o.lines.length &&
        (await notRequested(shop, o)),
    );
  },
  async 'after-reservation'(shop) {
    // Every line reserved and the payment requested (the saga records both at once), the gateway not asked.
    return someOrder(shop, async (o) => {
      if (o.status !== 'pending' || o.reservedSkus.length !== o.lines.length) return false;
      const payment = await paymentOf(shop.platform, o.orderId);
      if (payment.status !== 'requested') return false;
      const asked = await shop.platform.db.query(
        `SELECT 1 FROM simulated_gateway_requests WHERE idempotency_key = $1`,
        [payment.idempotencyKey],
      );
      return asked.length === 0;
    });
  },
  async 'after-authorization'(shop) {
    // The gateway answered (and remembers it), but the payment stream never heard the answer.
    return someOrder(shop, async (o) => {
      const payment = await paymentOf(shop.platform, o.orderId);
      if (payment.status !== 'requested') return false;
      const answered = await shop.platform.db.query(
        `SELECT 1 FROM simulated_gateway_requests WHERE idempotency_key = $1 AND outcome IS NOT NULL`,
        [payment.idempotencyKey],
      );
      return answered.length === 1;
    });
  },
  async 'after-confirmation'(shop) {
    const ledger = await shop.gateway.ledger();
    return someOrder(shop, async (o) => {
      const payment = await paymentOf(shop.platform, o.orderId);
      const hold = ledger.authorizations.find((a) => a.orderId === o.orderId);
      return o.status === 'confirmed' && payment.status === 'authorized' && hold?.status === 'authorized';
    });
  },
  async 'after-capture'(shop) {
    // The money was taken, but the payment stream does not know it yet.
    const ledger = await shop.gateway.ledger();
    return someOrder(shop, async (o) => {
      const payment = await paymentOf(shop.platform, o.orderId);
      const hold = ledger.authorizations.find((a) => a.orderId === o.orderId);
      return payment.status === 'authorized' && hold?.status === 'captured';
    });
  },
};

async function someOrder(shop: Shop, test: (order: PlacedOrder) => Promise<boolean>) {
  for (const o of await placedOrders(shop)) if (await test(o)) return true;
  return false;
}

const notRequested = async (shop: Shop, o: PlacedOrder) =>
  (await paymentOf(shop.platform, o.orderId)).status === 'not_requested';

/** Samples who holds leases on the saga queue until stopped: which workers took part. */
function watchLeaseOwners(shop: Shop) {
  const owners = new Set<string>();
  let watching = true;
  const sampling = (async () => {
    while (watching) {
      const rows = await shop.platform.db.query<{ lease_owner: string }>(
        `SELECT DISTINCT lease_owner FROM checkout_saga WHERE lease_owner IS NOT NULL`,
      );
      for (const row of rows) owners.add(row.lease_owner);
      await sleep(20);
    }
  })();
  return async () => {
    watching = false;
    await sampling;
    return owners;
  };
}

/** Worker processes boot in 2-3 s of CPU each: a few crash points at a time, not all six at once. */
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
const inLane = lanes(3);

afterAll(killStrayWorkers);

describe('checkout saga crash recovery (worker processes on PostgreSQL)', () => {
  it.concurrent.for(CRASH_POINTS)(
    'a worker killed at %s: a restarted worker settles every order once, stock and money conserved',
    { timeout: 90_000 }, // includes the wait for a free lane
    (crashAt, { expect }) =>
      inLane(async () => {
        const shop = await openShop();
        try {
          const [A, B, C] = ['A', 'B', 'C'].map((s) => `${crashAt}-${s}`) as [string, string, string];
          await receive(shop, A, 10);
          await receive(shop, B, 10);
          await receive(shop, C, 1);
          await order(
            shop,
            [
              { sku: A, quantity: 1 },
              { sku: B, quantity: 2 },
            ],
            'pm_card_visa',
            'confirmed',
          );
          await order(shop, [{ sku: A, quantity: 2 }], 'pm_card_mastercard', 'confirmed');
          await order(
            shop,
            [
              { sku: A, quantity: 1 },
              { sku: B, quantity: 1 },
            ],
            'pm_card_chargeDeclined',
            'cancelled:payment_failed',
          );
          await order(
            shop,
            [
              { sku: A, quantity: 1 },
              { sku: C, quantity: 3 },
            ],
            'pm_card_visa',
            'cancelled:out_of_stock',
          );
          await order(
            shop,
            [
              { sku: B, quantity: 1 },
              { sku: C, quantity: 1 },
            ],
            'pm_sim_slow',
            'confirmed',
          );
          await order(
            shop,
            [
              { sku: A, quantity: 1 },
              { sku: B, quantity: 1 },
            ],
            'pm_card_amex',
            'confirmed',
          );

          const crashing = spawnWorker(workerEnv(shop.database), { crashAt });
          const crash = await within(
            crashing.exited,
            30_000,
            () => `worker never reached ${crashAt}\n${crashing.output()}`,
          );
          expect(crash, crashing.output()).toEqual({ code: null, signal: 'SIGKILL' });
          expect(await crashEvidence[crashAt](shop), `the streams show a crash at ${crashAt}`).toBe(true);
          expect(await queued(shop), 'the order being driven stays queued').toBeGreaterThan(0);

          const clean = spawnWorker(workerEnv(shop.database));
          const [exit] = await settleWith(shop, [clean]);
          expect(exit, clean.output()).toEqual({ code: 0, signal: null });
          await checkInvariants(expect, shop);
        } finally {
          await closeShop(shop);
        }
      }),
  );
});

describe('two workers over one queue (PostgreSQL)', () => {
  it('settles 60 orders exactly once between them: stock conserved, no payment taken twice', async ({
    expect,
  }) => {
    const shop = await openShop();
    try {
      const skus = ['TWO-HOT', 'TWO-WARM', 'TWO-COLD'];
      await receive(shop, 'TWO-HOT', 15); // fewer than the orders that want it: some must be cancelled
      await receive(shop, 'TWO-WARM', 60);
      await receive(shop, 'TWO-COLD', 200);
      // Few orders per worker at a time and a one-second lease, so the two take turns on the queue.
      const workers = [0, 1].map(() => spawnWorker(workerEnv(shop.database, { SAGA_CONCURRENCY: '6' })));
      await within(Promise.all(workers.map((w) => w.ready)), 60_000, () =>
        workers.map((w) => w.output()).join('\n'),
      );
      const leaseOwners = watchLeaseOwners(shop);
      const cards = [
        'pm_card_visa',
        'pm_card_mastercard',
        'pm_sim_slow',
        'pm_card_chargeDeclined',
        'pm_card_amex',
      ];
      for (let i = 0; i < 60; i++) {
        const lines = [
          ...(i % 2 === 0 ? [{ sku: 'TWO-HOT', quantity: 1 }] : []),
          { sku: i % 3 === 0 ? 'TWO-WARM' : 'TWO-COLD', quantity: 1 + (i % 2) },
        ];
        const card = cards[i % cards.length]!;
        const declinedOnly = card === 'pm_card_chargeDeclined' && lines.length === 1;
        await order(shop, lines, card, declinedOnly ? 'cancelled:payment_failed' : undefined);
      }
      const exits = await settleWith(shop, workers, 40_000);
      expect((await leaseOwners()).size, 'both workers took orders from the queue').toBe(2);
      for (const [i, exit] of exits.entries())
        expect(exit, workers[i]!.output()).toEqual({ code: 0, signal: null });
      await checkInvariants(expect, shop);

      const orders = await placedOrders(shop);
      const confirmedHot = orders.filter(
        (o) => o.status === 'confirmed' && o.lines.some((l) => l.sku === 'TWO-HOT'),
      );
      expect(confirmedHot.length).toBeLessThanOrEqual(15);
      expect(orders.filter((o) => o.cancellationReason === 'out_of_stock').length).toBeGreaterThan(0);
      for (const o of orders.filter((o) => o.paymentMethod === 'pm_card_chargeDeclined'))
        expect(o.status, `${o.orderId} paid with a declining card`).toBe('cancelled');
      for (const sku of skus) {
        const reserved = (await shop.platform.store.readStream(streams.inventory(sku))).filter(
          (e) => e.type === 'StockReserved',
        );
        const byOrder = reserved.map((e) => (e.data as { reservationId: string }).reservationId);
        expect(new Set(byOrder).size, `${sku}: one reservation per order`).toBe(byOrder.length);
      }
    } finally {
      await closeShop(shop);
    }
  }, 120_000);
});
