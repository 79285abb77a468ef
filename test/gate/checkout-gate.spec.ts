import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { testRedis } from '../cache/redis.ts';
import { waitUntil } from '../cache/wait.ts';
import { buyers, gateCounted, onSale, orderOf, type Buyer } from './buyers.ts';

// The gate in front of checkout, through the HTTP API on both profiles: in this process (embedded)
// and in Redis beside PostgreSQL (services). The API processes of the services profile sharing one
// gate are in flash-sale-processes.spec.ts.

describe.each(['embedded', 'services'] as const)('the flash-sale gate at checkout (%s)', (profile) => {
  const redis = profile === 'services' ? testRedis('gate-checkout') : undefined;
  let t: TestApp;
  let admin: Record<string, string>;
  let auditor: Record<string, string>;
  beforeAll(async () => {
    t = await testApp(profile === 'services' ? 'postgres' : 'embedded', {
      ...redis?.env,
      GATE_HOT_CHECKOUTS_PER_SECOND: '25',
      GATE_PLACEMENT_TIMEOUT_SECONDS: '1',
    });
    admin = (await signIn(t.app, t.platform, 'gate-admin@example.com', 'admin')).headers;
    auditor = (await signIn(t.app, t.platform, 'gate-auditor@example.com', 'auditor')).headers;
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await redis?.close();
  });

  const checkout = (buyer: Buyer, key: string, paymentMethod = 'pm_card_visa') =>
    t.app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { authorization: buyer.authorization, 'idempotency-key': `gate-test-${key}` },
      payload: { paymentMethod },
    });
  const gateOf = async (sku: string) =>
    (await t.app.inject({ url: `/admin/gate/${sku}`, headers: admin })).json() as Record<string, unknown>;
  const settled = (orderIds: string[]) =>
    waitUntil(
      'every order settled',
      async () => {
        const states = await Promise.all(orderIds.map((id) => orderOf(t.platform, id)));
        return states.every((s) => s.status === 'confirmed' || s.status === 'cancelled');
      },
      60_000,
    );
  const placedFor = async (sku: string) => {
    const [row] = await t.platform.db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM es_events WHERE type = 'OrderPlaced' AND data->'lines' @> $1::jsonb`,
      [JSON.stringify([{ sku }])],
    );
    return Number(row!.n);
  };

  it('switched on by an admin: 300 buyers for 10 units, 10 orders, 290 told "sold out" at once with nothing appended', async () => {
    const sku = `GATE-ON-${profile}`;
    await onSale(t, sku, 10);
    const switched = await t.app.inject({
      method: 'PUT',
      url: `/admin/gate/${sku}`,
      headers: admin,
      payload: { mode: 'on' },
    });
    expect(switched.statusCode).toBe(200);
    expect(switched.json()).toMatchObject({ sku, mode: 'on', on: true, reason: 'switched-on' });
    await waitUntil('the gate counted the stock', () => gateCounted(t.platform, sku));
    const crowd = await buyers(t.app, t.platform, 300, sku);

    const answers = await Promise.all(crowd.map((buyer, i) => checkout(buyer, `on-${i}`)));

    const accepted = answers.filter((a) => a.statusCode === 202);
    const refused = answers.filter((a) => a.statusCode === 409);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(290);
    for (const answer of refused) {
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.json()).toMatchObject({
        type: 'https://eventful-commerce.dev/problems/sold-out',
        title: 'Sold out',
        status: 409,
        code: 'SoldOut',
        details: { skus: [sku] },
      });
    }
    // The refused left nothing in the log: no order placed, no cart checked out.
    expect(await placedFor(sku)).toBe(10);
    const orderIds = accepted.map((a) => a.json().orderId as string);
    await settled(orderIds);
    const orders = await Promise.all(orderIds.map((id) => orderOf(t.platform, id)));
    expect(orders.map((o) => o.status)).toEqual(Array(10).fill('confirmed'));
    await waitUntil(
      'the gate settled its admissions',
      async () => (await gateOf(sku)).admittedUnreserved === 0,
    );
    expect(await gateOf(sku)).toMatchObject({
      on: true,
      admitted: 10,
      refused: 290,
      available: 0,
      remaining: 0,
      ordersWaiting: 0,
      switchedBy: 'gate-admin@example.com',
    });
    // Operators count the gate's decisions.
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(
      Number(/flash_sale_gate_decisions_total\{outcome="refused"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(290);
    expect(
      Number(/flash_sale_gate_decisions_total\{outcome="admitted"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(10);
  }, 120_000);

  it('stock that comes back opens the gate again: a declined card releases its unit, a receipt adds more', async () => {
    const sku = `GATE-BACK-${profile}`;
    await onSale(t, sku, 1, 'on');
    await waitUntil('the gate counted the stock', () => gateCounted(t.platform, sku));
    const [declined, second, third] = await buyers(t.app, t.platform, 3, sku);

    const first = await checkout(declined!, 'back-1', 'pm_card_chargeDeclined');
    expect(first.statusCode).toBe(202);
    // The unit is held for the first order until its card is declined.
    expect((await checkout(second!, 'back-2')).statusCode).toBe(409);
    const firstOrder = first.json().orderId as string;
    await settled([firstOrder]);
    expect(await orderOf(t.platform, firstOrder)).toMatchObject({ status: 'cancelled' });
    await waitUntil('the released unit is back at the gate', async () => (await gateOf(sku)).remaining === 1);
    // Refused, the second buyer placed nothing: the same Idempotency-Key now places the order.
    const again = await checkout(second!, 'back-2');
    expect(again.statusCode).toBe(202);
    expect((await checkout(third!, 'back-3')).statusCode).toBe(409);

    const received = await t.app.inject({
      method: 'POST',
      url: `/admin/inventory/${sku}/receive`,
      headers: admin,
      payload: { quantity: 2 },
    });
    expect(received.statusCode).toBeLessThan(300);
    await waitUntil('the received units are at the gate', async () => (await gateOf(sku)).remaining === 2);
    const third2 = await checkout(third!, 'back-3');
    expect(third2.statusCode).toBe(202);
    await settled([again.json().orderId as string, third2.json().orderId as string]);
    expect((await orderOf(t.platform, third2.json().orderId as string)).status).toBe('confirmed');
  }, 120_000);

  it('turns on by itself when the SKU gets hot: 400 buyers for 5 units, exactly 5 confirmed, most refused at once', async () => {
    const sku = `GATE-HOT-${profile}`;
    await onSale(t, sku, 5);
    await waitUntil('the gate counted the stock', () => gateCounted(t.platform, sku));
    const crowd = await buyers(t.app, t.platform, 400, sku);

    const answers = await Promise.all(crowd.map((buyer, i) => checkout(buyer, `hot-${i}`)));

    const accepted = answers.filter((a) => a.statusCode === 202);
    const refused = answers.filter((a) => a.statusCode === 409);
    expect(accepted.length + refused.length).toBe(400);
    // The checkouts before the SKU got hot were not gated; every one after it was.
    expect(refused.length).toBeGreaterThanOrEqual(300);
    const orderIds = accepted.map((a) => a.json().orderId as string);
    await settled(orderIds);
    const orders = await Promise.all(orderIds.map((id) => orderOf(t.platform, id)));
    expect(orders.filter((o) => o.status === 'confirmed')).toHaveLength(5);
    for (const order of orders.filter((o) => o.status === 'cancelled'))
      expect(order).toMatchObject({ cancellationReason: 'out_of_stock' });
    const listed = (await t.app.inject({ url: '/admin/gate', headers: auditor })).json() as {
      items: { sku: string; on: boolean; reason: string; refused: number }[];
    };
    expect(listed.items.find((item) => item.sku === sku)).toMatchObject({
      on: true,
      reason: 'hot',
      refused: refused.length,
    });
  }, 120_000);

  it('an admission whose order never came (its process died before placing it) is given back', async () => {
    const sku = `GATE-GHOST-${profile}`;
    await onSale(t, sku, 1, 'on');
    await waitUntil('the gate counted the stock', () => gateCounted(t.platform, sku));
    // What a process killed between admitting and appending leaves: an admission, no order.
    expect(
      await t.platform.gate.admit('0198f000-0000-7000-8000-00000000dead', [{ sku, quantity: 1 }]),
    ).toEqual({
      admitted: true,
      gated: 1,
    });
    const [late] = await buyers(t.app, t.platform, 1, sku);
    expect((await checkout(late!, 'ghost-1')).statusCode).toBe(409);
    await waitUntil('the ghost admission was given back', async () => (await gateOf(sku)).remaining === 1);
    const placed = await checkout(late!, 'ghost-1');
    expect(placed.statusCode).toBe(202);
    await settled([placed.json().orderId as string]);
    expect((await orderOf(t.platform, placed.json().orderId as string)).status).toBe('confirmed');
  }, 60_000);

  it('a retry of an order that took the last unit answers that order, not "sold out"', async () => {
    const sku = `GATE-RETRY-${profile}`;
    await onSale(t, sku, 1, 'on');
    await waitUntil('the gate counted the stock', () => gateCounted(t.platform, sku));
    const [winner, loser] = await buyers(t.app, t.platform, 2, sku);
    const first = await checkout(winner!, 'retry-1');
    expect(first.statusCode).toBe(202);
    expect((await checkout(loser!, 'retry-2')).statusCode).toBe(409);
    const again = await checkout(winner!, 'retry-1');
    expect(again.statusCode).toBe(202);
    expect(again.json().orderId).toBe(first.json().orderId);
    await settled([first.json().orderId as string]);
    const afterwards = await checkout(winner!, 'retry-1');
    expect(afterwards.statusCode).toBe(202);
    expect(afterwards.json()).toMatchObject({ orderId: first.json().orderId });
  }, 60_000);

  it('only admins switch a gate; auditors read it; customers neither', async () => {
    const [customer] = await buyers(t.app, t.platform, 1, 'GATE-ROLES');
    const put = (headers: Record<string, string>) =>
      t.app.inject({ method: 'PUT', url: '/admin/gate/GATE-ROLES', headers, payload: { mode: 'on' } });
    expect((await put(auditor)).statusCode).toBe(403);
    expect((await put({ authorization: customer!.authorization })).statusCode).toBe(403);
    expect(
      (await t.app.inject({ url: '/admin/gate', headers: { authorization: customer!.authorization } }))
        .statusCode,
    ).toBe(403);
    const read = await t.app.inject({ url: '/admin/gate/GATE-ROLES', headers: auditor });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({
      sku: 'GATE-ROLES',
      mode: 'auto',
      on: false,
      reason: 'not-hot',
      remaining: null,
    });
    expect((await put(admin)).json()).toMatchObject({ mode: 'on', on: true });
    expect(
      (
        await t.app.inject({
          method: 'PUT',
          url: '/admin/gate/GATE-ROLES',
          headers: admin,
          payload: { mode: 'auto' },
        })
      ).json(),
    ).toMatchObject({ mode: 'auto', on: false });
  });
});
