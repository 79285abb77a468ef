import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { markShipmentDelivered } from '../../src/commands/fulfilment.ts';
import { streams } from '../../src/commands/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { PlacedOrder } from '../../src/domain/order/index.ts';
import type { SimulatedGateway } from '../../src/payments/simulated-gateway.ts';
import { openPlatform } from '../../src/platform.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import {
  adminContext,
  checkout,
  inventoryOf,
  orderState,
  paymentOf,
  settled,
  stockProduct,
} from '../support/shop.ts';

/**
 * The types of the events appended to the order's stream after `version`, but for those its refund
 * process records as the gateway answers (issued, failed, fully refunded), which may land at any time.
 */
const madeSince = async (t: TestApp, orderId: string, version: number) =>
  (await t.platform.store.readStream(streams.order(orderId), { fromVersion: version + 1 }))
    .map((event) => event.type)
    .filter((type) => !['RefundIssued', 'RefundFailed', 'OrderRefunded'].includes(type));

// The order after payment over HTTP, on both profiles: shipments, deliveries, returns and their receipt,
// refunds, an admin's cancellation, the lists; every refusal a problem document that appends nothing;
// and many admins at once on one order, of whom exactly the legal requests succeed.

type Headers = Record<string, string>;
const poll = { timeout: 30_000, interval: 50 };

describe.each(['embedded', 'postgres'] as const)('after payment over HTTP (%s)', (profile) => {
  let t: TestApp;
  let admin: { userId: string; headers: Headers };
  let ada: { userId: string; headers: Headers };
  let bob: { userId: string; headers: Headers };
  let keys = 0;
  const stocked = new Set<string>();
  const key = (name: string) => `${name}-${profile}-${++keys}-key`;

  beforeAll(async () => {
    t = await testApp(profile, { PAYMENT_TIMEOUT_MS: '2000' });
    admin = await signIn(t.app, t.platform, `admin-${profile}@example.com`, 'admin');
    ada = await signIn(t.app, t.platform, `ada-after-${profile}@example.com`);
    bob = await signIn(t.app, t.platform, `bob-after-${profile}@example.com`);
  });
  afterAll(() => t.close());

  /** A confirmed, captured order of `customer`: mugs at 10.00 and teas at 2.50. */
  const paidOrder = async (customerId: string, mugs: number, teas = 0, prefix = 'AS') => {
    const mug = `${prefix}-MUG-${profile}`;
    const tea = `${prefix}-TEA-${profile}`;
    if (!stocked.has(prefix)) {
      stocked.add(prefix);
      await stockProduct(t.platform, mug, 100, 1000);
      await stockProduct(t.platform, tea, 100, 250);
    }
    const lines = [{ sku: mug, quantity: mugs }, ...(teas > 0 ? [{ sku: tea, quantity: teas }] : [])];
    const orderId = await checkout(t.platform, customerId, lines);
    expect((await settled(t.platform, orderId)).status).toBe('confirmed');
    await expect.poll(async () => (await paymentOf(t.platform, orderId)).status, poll).toBe('captured');
    return { orderId, mug, tea };
  };
  const version = (orderId: string) => t.platform.store.streamVersion(streams.order(orderId));
  const getOrder = (orderId: string, headers: Headers = ada.headers) =>
    t.app.inject({ method: 'GET', url: `/orders/${orderId}`, headers });
  const ship = (orderId: string, lines: { sku: string; quantity: number }[], idempotencyKey = key('ship')) =>
    t.app.inject({
      method: 'POST',
      url: `/admin/orders/${orderId}/shipments`,
      headers: { ...admin.headers, 'idempotency-key': idempotencyKey },
      payload: { lines, carrier: 'DHL', trackingNumber: `JD${keys}` },
    });
  const deliver = (orderId: string, shipmentId: string) =>
    t.app.inject({
      method: 'POST',
      url: `/admin/orders/${orderId}/shipments/${shipmentId}/delivery`,
      headers: admin.headers,
    });
  const refund = (orderId: string, amount: number, idempotencyKey = key('refund')) =>
    t.app.inject({
      method: 'POST',
      url: `/admin/orders/${orderId}/refunds`,
      headers: { ...admin.headers, 'idempotency-key': idempotencyKey },
      payload: { amount: { amount, currency: 'USD' }, reason: 'goodwill' },
    });
  const askReturn = (
    orderId: string,
    lines: { sku: string; quantity: number }[],
    headers: Headers = ada.headers,
    idempotencyKey = key('return'),
  ) =>
    t.app.inject({
      method: 'POST',
      url: `/orders/${orderId}/returns`,
      headers: { ...headers, 'idempotency-key': idempotencyKey },
      payload: { lines, reason: 'does not fit' },
    });
  const expectProblem = (
    response: { statusCode: number; headers: Record<string, unknown> },
    status: number,
  ) => {
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toContain('application/problem+json');
  };
  const ledgerOf = async (orderId: string) =>
    (await (t.platform.gateway as SimulatedGateway).ledger()).authorizations.find(
      (a) => a.orderId === orderId,
    )!;

  it('ships an order in parts, then marks each shipment delivered: partially shipped, shipped, delivered', async () => {
    const { orderId, mug, tea } = await paidOrder(ada.userId, 3, 1);
    const firstKey = key('ship');
    const first = await ship(orderId, [{ sku: mug, quantity: 2 }], firstKey);
    expect(first.statusCode).toBe(201);
    const { shipmentId } = first.json();
    expect((await ship(orderId, [{ sku: mug, quantity: 2 }], firstKey)).json()).toEqual({ shipmentId });
    const partly = (await getOrder(orderId)).json();
    expect(partly).toMatchObject({
      status: 'partially_shipped',
      lines: [
        { sku: mug, quantity: 3, shipped: 2, returned: 0 },
        { sku: tea, quantity: 1, shipped: 0, returned: 0 },
      ],
      shipments: [
        { shipmentId, lines: [{ sku: mug, quantity: 2 }], carrier: 'DHL', shippedAt: expect.any(String) },
      ],
      refunded: { amount: 0, currency: 'USD' },
    });

    const rest = await ship(orderId, [
      { sku: mug, quantity: 1 },
      { sku: tea, quantity: 1 },
    ]);
    expect(rest.statusCode).toBe(201);
    expect((await getOrder(orderId)).json().status).toBe('shipped');
    expect((await deliver(orderId, shipmentId)).statusCode).toBe(200);
    expect((await getOrder(orderId)).json().status).toBe('shipped');
    const delivered = await deliver(orderId, rest.json().shipmentId);
    expect(delivered.json()).toMatchObject({
      shipmentId: rest.json().shipmentId,
      deliveredAt: expect.any(String),
    });
    const order = (await getOrder(orderId)).json();
    expect(order.status).toBe('delivered');
    expect(order.shipments.every((s: { deliveredAt?: string }) => s.deliveredAt)).toBe(true);
    expect(order.timeline.map((e: { event: string }) => e.event)).toEqual([
      'OrderPlaced',
      'OrderConfirmed',
      'OrderLinesShipped',
      'OrderLinesShipped',
      'ShipmentDelivered',
      'ShipmentDelivered',
    ]);
    expect(order.timeline.at(-1)).toMatchObject({ status: 'delivered', shipmentId: rest.json().shipmentId });
  });

  it('refuses over-shipping, an unknown shipment, and a pending or cancelled order, appending nothing', async () => {
    const { orderId, mug, tea } = await paidOrder(ada.userId, 2);
    const before = await version(orderId);
    expectProblem(await ship(orderId, [{ sku: mug, quantity: 3 }]), 409);
    expectProblem(await ship(orderId, [{ sku: tea, quantity: 1 }]), 409);
    expectProblem(await deliver(orderId, 'no-such-shipment'), 404);
    const reused = key('ship');
    expect((await ship(orderId, [{ sku: mug, quantity: 1 }], reused)).statusCode).toBe(201);
    expectProblem(await ship(orderId, [{ sku: mug, quantity: 2 }], reused), 422);
    expectProblem(await ship(orderId, [{ sku: mug, quantity: 2 }]), 409);
    expect(await version(orderId)).toBe(before + 1);

    const declined = await checkout(
      t.platform,
      ada.userId,
      [{ sku: mug, quantity: 1 }],
      'pm_card_chargeDeclined',
    );
    expect((await settled(t.platform, declined)).status).toBe('cancelled');
    const cancelledVersion = await version(declined);
    expectProblem(await ship(declined, [{ sku: mug, quantity: 1 }]), 409);
    expect(await version(declined)).toBe(cancelledVersion);
    expectProblem(await ship('0195f4d2-0000-7000-8000-000000000000', [{ sku: mug, quantity: 1 }]), 404);
  });

  it('lets only admins ship, cancel and refund, and only customers return', async () => {
    const { orderId, mug } = await paidOrder(ada.userId, 1);
    const asCustomer = (url: string, payload: object) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { ...ada.headers, 'idempotency-key': key('x') },
        payload,
      });
    expectProblem(
      await asCustomer(`/admin/orders/${orderId}/shipments`, {
        lines: [{ sku: mug, quantity: 1 }],
        carrier: 'DHL',
        trackingNumber: 'X',
      }),
      403,
    );
    expectProblem(await asCustomer(`/admin/orders/${orderId}/cancel`, { reason: 'x' }), 403);
    expectProblem(
      await asCustomer(`/admin/orders/${orderId}/refunds`, {
        amount: { amount: 1, currency: 'USD' },
        reason: 'x',
      }),
      403,
    );
    expectProblem(await t.app.inject({ method: 'GET', url: '/admin/orders', headers: ada.headers }), 403);
    expectProblem(await askReturn(orderId, [{ sku: mug, quantity: 1 }], admin.headers), 403);
  });

  it('takes a return of delivered units, receives it line by line, restocks and refunds at the price paid', async () => {
    const { orderId, mug, tea } = await paidOrder(ada.userId, 3, 2);
    const shipped = (
      await ship(orderId, [
        { sku: mug, quantity: 3 },
        { sku: tea, quantity: 2 },
      ])
    ).json().shipmentId;
    // Not delivered yet: nothing to return.
    expectProblem(await askReturn(orderId, [{ sku: mug, quantity: 1 }]), 409);
    await deliver(orderId, shipped);

    const before = await version(orderId);
    expectProblem(await askReturn(orderId, [{ sku: mug, quantity: 4 }]), 409);
    expectProblem(await askReturn(orderId, [{ sku: mug, quantity: 1 }], bob.headers), 404);
    expect(await version(orderId)).toBe(before);

    const returnKey = key('return');
    const asked = await askReturn(
      orderId,
      [
        { sku: mug, quantity: 2 },
        { sku: tea, quantity: 1 },
      ],
      ada.headers,
      returnKey,
    );
    expect(asked.statusCode).toBe(201);
    const { returnId } = asked.json();
    expect(
      (
        await askReturn(
          orderId,
          [
            { sku: mug, quantity: 2 },
            { sku: tea, quantity: 1 },
          ],
          ada.headers,
          returnKey,
        )
      ).json(),
    ).toEqual({
      returnId,
    });
    // Asked back already: only one more mug may come.
    expectProblem(await askReturn(orderId, [{ sku: mug, quantity: 2 }]), 409);

    await expect
      .poll(
        async () =>
          (
            await t.app.inject({
              method: 'GET',
              url: '/admin/returns?status=requested',
              headers: admin.headers,
            })
          )
            .json()
            .items.map((r: { returnId: string }) => r.returnId),
        poll,
      )
      .toContain(returnId);
    const mugsBefore = (await inventoryOf(t.platform, mug)).onHand;
    const teasBefore = (await inventoryOf(t.platform, tea)).onHand;
    const receipt = await t.app.inject({
      method: 'POST',
      url: `/admin/returns/${returnId}/receipt`,
      headers: admin.headers,
      payload: {
        lines: [
          { sku: mug, quantity: 2, restock: true },
          { sku: tea, quantity: 1, restock: false },
        ],
      },
    });
    expect(receipt.statusCode).toBe(200);
    expect(receipt.json()).toEqual({ returnId, orderId, status: 'received' });

    // 2 mugs at 10.00 and a tea at 2.50 go back; the mugs on hand again, the tea written off.
    await expect
      .poll(async () => (await getOrder(orderId)).json().refunded, poll)
      .toEqual({ amount: 2250, currency: 'USD' });
    const order = (await getOrder(orderId)).json();
    expect(order).toMatchObject({
      status: 'delivered',
      lines: [
        { sku: mug, shipped: 3, returned: 2 },
        { sku: tea, shipped: 2, returned: 1 },
      ],
      returns: [
        {
          returnId,
          status: 'received',
          lines: [
            { sku: mug, quantity: 2 },
            { sku: tea, quantity: 1 },
          ],
          reason: 'does not fit',
        },
      ],
      refunds: [
        { amount: { amount: 2250, currency: 'USD' }, status: 'issued', reason: `return ${returnId}` },
      ],
    });
    expect((await inventoryOf(t.platform, mug)).onHand).toBe(mugsBefore + 2);
    expect((await inventoryOf(t.platform, tea)).onHand).toBe(teasBefore);
    expect(await ledgerOf(orderId)).toMatchObject({ refunded: 2250, captures: 1 });
    await expect
      .poll(
        async () =>
          (
            await t.app.inject({
              method: 'GET',
              url: '/admin/returns?status=received',
              headers: admin.headers,
            })
          )
            .json()
            .items.find((r: { returnId: string }) => r.returnId === returnId),
        poll,
      )
      .toMatchObject({
        orderId,
        status: 'received',
        received: [
          { sku: mug, quantity: 2, restock: true },
          { sku: tea, quantity: 1, restock: false },
        ],
      });
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: `/admin/returns/${returnId}/receipt`,
        headers: admin.headers,
        payload: { lines: [{ sku: mug, quantity: 1, restock: true }] },
      }),
      409,
    );
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: `/admin/returns/no-such-return/receipt`,
        headers: admin.headers,
        payload: { lines: [{ sku: mug, quantity: 1, restock: true }] },
      }),
      404,
    );
  });

  it('refuses a return after the window (422), appending nothing', async () => {
    const { orderId, mug } = await paidOrder(ada.userId, 1);
    const shipmentId = (await ship(orderId, [{ sku: mug, quantity: 1 }])).json().shipmentId;
    // Delivered 31 days ago.
    await markShipmentDelivered(
      { orders: t.platform.commands.order },
      { orderId, shipmentId, context: { ...adminContext(), now: new Date(Date.now() - 31 * 86_400_000) } },
    );
    const before = await version(orderId);
    const late = await askReturn(orderId, [{ sku: mug, quantity: 1 }]);
    expectProblem(late, 422);
    expect(late.json()).toMatchObject({ code: 'ReturnWindowClosed' });
    expect(await version(orderId)).toBe(before);
  });

  it('refunds part of an order, refuses more than was captured minus refunded (409), and shows it all', async () => {
    const { orderId } = await paidOrder(ada.userId, 2);
    const first = await refund(orderId, 1500);
    expect(first.statusCode).toBe(202);
    const before = await version(orderId);
    expectProblem(await refund(orderId, 501), 409);
    expectProblem(await refund(orderId, 1, 'x'), 400);
    expect(await version(orderId)).toBe(before);
    expect((await refund(orderId, 500)).statusCode).toBe(202);
    await expect.poll(async () => (await getOrder(orderId)).json().refunded.amount, poll).toBe(2000);
    const order = (await getOrder(orderId)).json();
    // Confirmed and refunded in full.
    expect(order.status).toBe('refunded');
    expect(order.refunds.map((r: { status: string }) => r.status)).toEqual(['issued', 'issued']);
    expect(await ledgerOf(orderId)).toMatchObject({ refunded: 2000, status: 'refunded' });
  });

  it('cancels a paid, unshipped order: stock back on hand, payment refunded in full; not a shipped one', async () => {
    const { orderId, mug } = await paidOrder(ada.userId, 4, 0, 'CANCEL');
    const onHandBefore = (await inventoryOf(t.platform, mug)).onHand;
    // A customer's own cancel stays limited to pending orders.
    expectProblem(
      await t.app.inject({ method: 'POST', url: `/orders/${orderId}/cancel`, headers: ada.headers }),
      409,
    );
    const cancelled = await t.app.inject({
      method: 'POST',
      url: `/admin/orders/${orderId}/cancel`,
      headers: admin.headers,
      payload: { reason: 'out of stock at the warehouse' },
    });
    expect(cancelled.statusCode).toBe(202);
    expect(cancelled.json()).toMatchObject({ orderId, status: 'cancelled', refundId: expect.any(String) });
    await expect.poll(async () => (await getOrder(orderId)).json().refunded.amount, poll).toBe(4000);
    expect((await getOrder(orderId)).json()).toMatchObject({
      status: 'cancelled',
      reason: 'out of stock at the warehouse',
    });
    await expect.poll(async () => (await inventoryOf(t.platform, mug)).onHand, poll).toBe(onHandBefore + 4);
    expect(await ledgerOf(orderId)).toMatchObject({ status: 'refunded', refunded: 4000 });
    expectProblem(await refund(orderId, 1), 409);

    const shipped = await paidOrder(ada.userId, 1, 0, 'CANCEL');
    await ship(shipped.orderId, [{ sku: shipped.mug, quantity: 1 }]);
    const before = await version(shipped.orderId);
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: `/admin/orders/${shipped.orderId}/cancel`,
        headers: admin.headers,
        payload: { reason: 'too late' },
      }),
      409,
    );
    expect(await version(shipped.orderId)).toBe(before);
  });

  it('lists and filters all orders for admins, newest first, and shows the new statuses in the history', async () => {
    const carl = await signIn(t.app, t.platform, `carl-${profile}@example.com`);
    const older = await paidOrder(carl.userId, 1, 0, 'LIST');
    const newer = await paidOrder(carl.userId, 2, 0, 'LIST');
    await ship(newer.orderId, [{ sku: newer.mug, quantity: 1 }]);
    const list = (query: string) =>
      t.app
        .inject({ method: 'GET', url: `/admin/orders?${query}`, headers: admin.headers })
        .then((r) => r.json());
    await expect
      .poll(
        async () =>
          (await list(`customerId=${carl.userId}`)).items.map((o: { orderId: string; status: string }) => [
            o.orderId,
            o.status,
          ]),
        poll,
      )
      .toEqual([
        [newer.orderId, 'partially_shipped'],
        [older.orderId, 'confirmed'],
      ]);
    const partly = await list(`customerId=${carl.userId}&status=partially_shipped`);
    expect(partly).toMatchObject({ total: 1, items: [{ orderId: newer.orderId, lines: [{ shipped: 1 }] }] });
    const paged = await list(`customerId=${carl.userId}&page=2&pageSize=1`);
    expect(paged).toMatchObject({ total: 2, page: 2, pageSize: 1, items: [{ orderId: older.orderId }] });
    const placedAt = ((await orderState(t.platform, newer.orderId)) as PlacedOrder).placedAt;
    const since = await list(`customerId=${carl.userId}&from=${encodeURIComponent(placedAt)}`);
    expect(since.items.map((o: { orderId: string }) => o.orderId)).toEqual([newer.orderId]);
    const until = await list(`customerId=${carl.userId}&to=${encodeURIComponent(placedAt)}`);
    expect(until.items.map((o: { orderId: string }) => o.orderId)).toEqual([older.orderId]);
    expectProblem(
      await t.app.inject({ method: 'GET', url: '/admin/orders?status=lost', headers: admin.headers }),
      400,
    );
    const mine = await t.app.inject({ method: 'GET', url: '/orders', headers: carl.headers });
    expect(mine.json().items[0]).toMatchObject({
      orderId: newer.orderId,
      status: 'partially_shipped',
      shipments: [{ carrier: 'DHL' }],
      timeline: expect.arrayContaining([
        expect.objectContaining({ event: 'OrderLinesShipped', status: 'partially_shipped' }),
      ]),
    });
  });

  it('serves the business numbers as time series to admins: orders, success ratio, carts, shipments, returns, refunds', async () => {
    const { orderId, mug } = await paidOrder(ada.userId, 2, 0, 'SERIES');
    await ship(orderId, [{ sku: mug, quantity: 2 }]);
    expect((await refund(orderId, 700)).statusCode).toBe(202);
    const hour = 3_600_000;
    const from = new Date(Math.floor(Date.now() / hour) * hour - hour).toISOString();
    const to = new Date(Date.parse(from) + 3 * hour).toISOString();
    const series = () =>
      t.app.inject({
        method: 'GET',
        url: `/admin/metrics/business?from=${from}&to=${to}&step=1h`,
        headers: admin.headers,
      });
    const total = (points: Record<string, number>[], key: string) => points.reduce((n, p) => n + p[key]!, 0);
    await expect
      .poll(async () => total((await series()).json().series, 'refunded'), poll)
      .toBeGreaterThanOrEqual(700);
    const answer = (await series()).json();
    expect(answer).toMatchObject({ from, to, stepSeconds: 3600 });
    expect(answer.series.map((p: { at: string }) => p.at)).toEqual(
      [0, 1, 2].map((i) => new Date(Date.parse(from) + i * hour).toISOString()),
    );
    const points = answer.series;
    expect(total(points, 'placed')).toBeGreaterThanOrEqual(1);
    expect(total(points, 'confirmed')).toBeGreaterThanOrEqual(1);
    expect(total(points, 'shipments')).toBeGreaterThanOrEqual(1);
    expect(total(points, 'refunds')).toBeGreaterThanOrEqual(1);
    expect(total(points, 'cartsStarted')).toBeGreaterThanOrEqual(1);
    const now = points.find((p: { confirmed: number }) => p.confirmed > 0);
    expect(now.successRatio).toBeGreaterThan(0);
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: `/admin/metrics/business?from=${from}&to=${to}`,
        headers: ada.headers,
      }),
      403,
    );
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: `/admin/metrics/business?from=${from}&to=${to}&step=1s`,
        headers: admin.headers,
      }),
      400,
    );
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: `/admin/metrics/business?from=2020-01-01T00:00:00Z&to=${to}&step=1m`,
        headers: admin.headers,
      }),
      400,
    );
  });

  it('takes exactly the legal ones of many concurrent refunds on one order: never more than captured', async () => {
    const { orderId } = await paidOrder(ada.userId, 4); // 40.00
    const before = await version(orderId);
    // 24 admins at once, each asking 10.00 back under a key of their own: 4 fit.
    const answers = await Promise.all(Array.from({ length: 24 }, () => refund(orderId, 1000)));
    const codes = answers.map((a) => a.statusCode);
    expect(codes.filter((c) => c === 202)).toHaveLength(4);
    expect(codes.filter((c) => c === 409)).toHaveLength(20);
    expect(await madeSince(t, orderId, before)).toEqual(Array(4).fill('RefundRequested'));
    await expect.poll(async () => (await getOrder(orderId)).json().refunded.amount, poll).toBe(4000);
    expect(await ledgerOf(orderId)).toMatchObject({ refunded: 4000, status: 'refunded' });
    expect(await paymentOf(t.platform, orderId)).toMatchObject({ refundedAmount: 4000 });
    expectProblem(await refund(orderId, 1), 409);
  });

  it('takes exactly the legal ones of many concurrent shipments on one order: never more than ordered', async () => {
    const { orderId, mug } = await paidOrder(ada.userId, 5, 0, 'SHIPRACE');
    const before = await version(orderId);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => ship(orderId, [{ sku: mug, quantity: 1 }])),
    );
    const codes = answers.map((a) => a.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(5);
    expect(codes.filter((c) => c === 409)).toHaveLength(15);
    expect(await version(orderId)).toBe(before + 5);
    const order = (await getOrder(orderId)).json();
    expect(order).toMatchObject({ status: 'shipped', lines: [{ quantity: 5, shipped: 5 }] });
    expect(order.shipments).toHaveLength(5);
  });
});

describe('after payment over HTTP: two API processes on one PostgreSQL database', () => {
  let t: TestApp;
  beforeAll(async () => (t = await testApp('postgres', { PAYMENT_TIMEOUT_MS: '2000' })));
  afterAll(() => t.close());

  it('takes exactly the legal ones of the refunds and shipments both take for one order at once', async () => {
    const admin = await signIn(t.app, t.platform, 'admin-two@example.com', 'admin');
    const ada = await signIn(t.app, t.platform, 'ada-two@example.com');
    let keys = 0;
    const key = (name: string) => `${name}-two-${++keys}-key`;
    const version = (orderId: string) => t.platform.store.streamVersion(streams.order(orderId));
    const mug = 'TWOAPI-MUG';
    await stockProduct(t.platform, mug, 100, 1000);
    const orderId = await checkout(t.platform, ada.userId, [{ sku: mug, quantity: 6 }]);
    expect((await settled(t.platform, orderId)).status).toBe('confirmed');
    await expect.poll(async () => (await paymentOf(t.platform, orderId)).status, poll).toBe('captured');

    // A second platform on the same database: its own command handlers, so the two meet only at the
    // stream's expected version, as two processes would.
    const second = await openPlatform(
      loadConfig({
        DATABASE_URL: t.platform.config.DATABASE_URL!,
        JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!',
        PASSWORD_HASH_COST: '10',
        RATE_LIMITS: 'off',
        LOG_LEVEL: 'silent',
      }),
    );
    const app2 = await buildServer(second);
    try {
      const before = await version(orderId);
      const via = (i: number) => (i % 2 === 0 ? t.app : app2);
      const shipments = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          via(i).inject({
            method: 'POST',
            url: `/admin/orders/${orderId}/shipments`,
            headers: { ...admin.headers, 'idempotency-key': key('ship') },
            payload: { lines: [{ sku: mug, quantity: 2 }], carrier: 'DHL', trackingNumber: 'JD2' },
          }),
        ),
      );
      expect(shipments.filter((r) => r.statusCode === 201)).toHaveLength(3);
      expect(shipments.filter((r) => r.statusCode === 409)).toHaveLength(13);
      const refunds = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          via(i).inject({
            method: 'POST',
            url: `/admin/orders/${orderId}/refunds`,
            headers: { ...admin.headers, 'idempotency-key': key('refund') },
            payload: { amount: { amount: 2000, currency: 'USD' }, reason: 'goodwill' },
          }),
        ),
      );
      expect(refunds.filter((r) => r.statusCode === 202)).toHaveLength(3);
      expect(refunds.filter((r) => r.statusCode === 409)).toHaveLength(13);
      const made = await madeSince(t, orderId, before);
      expect(made.filter((type) => type === 'RefundRequested')).toHaveLength(3);
      expect(made).toHaveLength(6);
      await expect
        .poll(
          async () =>
            (await t.app.inject({ method: 'GET', url: `/orders/${orderId}`, headers: ada.headers })).json()
              .refunded.amount,
          poll,
        )
        .toBe(6000);
      expect(
        (await (t.platform.gateway as SimulatedGateway).ledger()).authorizations.find(
          (a) => a.orderId === orderId,
        ),
      ).toMatchObject({ refunded: 6000, status: 'refunded' });
      expect(
        (await t.app.inject({ method: 'GET', url: `/orders/${orderId}`, headers: ada.headers })).json(),
      ).toMatchObject({
        status: 'refunded',
        lines: [{ shipped: 6 }],
      });
    } finally {
      await app2.close();
      await second.close();
    }
  });
});
