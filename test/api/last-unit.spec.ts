import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { inventoryOf, orderState, stockProduct } from '../support/shop.ts';

describe.each(['postgres', 'embedded'] as const)('the last unit over HTTP (%s)', (profile) => {
  let t: TestApp;
  beforeAll(async () => (t = await testApp(profile)));
  afterAll(() => t.close());

  it('300 customers check out the last unit at once: one order confirmed, 299 cancelled as out of stock', async () => {
    await stockProduct(t.platform, 'LAST-UNIT', 1, 4999);
    // The inventory stream alone decides: the flash-sale gate, which would refuse most of them at once
    // (below), is switched off for this SKU.
    await t.platform.gate.switch('LAST-UNIT', 'off', 'test');
    const customers = [];
    for (let i = 0; i < 300; i++)
      customers.push(await signIn(t.app, t.platform, `buyer-${i}-${profile}@example.com`));
    await Promise.all(
      customers.map(async ({ headers }) => {
        const added = await t.app.inject({
          method: 'POST',
          url: '/cart/items',
          headers,
          payload: { sku: 'LAST-UNIT', quantity: 1 },
        });
        expect(added.statusCode).toBeLessThan(300);
      }),
    );
    const responses = await Promise.all(
      customers.map(({ headers }, i) =>
        t.app.inject({
          method: 'POST',
          url: '/checkout',
          headers: { ...headers, 'idempotency-key': `last-unit-${i}` },
          payload: { paymentMethod: 'pm_card_visa' },
        }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(300).fill(202));
    const orderIds = responses.map((r) => r.json().orderId as string);
    await expect
      .poll(
        async () => {
          const states = await Promise.all(orderIds.map((id) => orderState(t.platform, id)));
          return states.filter((s) => s.status === 'pending').length;
        },
        { timeout: 60_000, interval: 200 },
      )
      .toBe(0);
    const states = await Promise.all(orderIds.map((id) => orderState(t.platform, id)));
    const confirmed = states.filter((s) => s.status === 'confirmed');
    const cancelled = states.filter((s) => s.status === 'cancelled');
    expect(confirmed).toHaveLength(1);
    expect(cancelled).toHaveLength(299);
    expect(cancelled.every((s) => s.status === 'cancelled' && s.cancellationReason === 'out_of_stock')).toBe(
      true,
    );
    await expect
      .poll(() => inventoryOf(t.platform, 'LAST-UNIT'), { timeout: 10_000 })
      .toMatchObject({ onHand: 0, reserved: 0 });
  }, 120_000);

  it('the same with the flash-sale gate as shipped: each told at once "sold out" (409) or placed, one confirmed', async () => {
    const sku = 'LAST-UNIT-GATED';
    await stockProduct(t.platform, sku, 1, 4999);
    const customers = [];
    for (let i = 0; i < 300; i++)
      customers.push(await signIn(t.app, t.platform, `gated-buyer-${i}-${profile}@example.com`));
    await Promise.all(
      customers.map(({ headers }) =>
        t.app.inject({ method: 'POST', url: '/cart/items', headers, payload: { sku, quantity: 1 } }),
      ),
    );
    const responses = await Promise.all(
      customers.map(({ headers }, i) =>
        t.app.inject({
          method: 'POST',
          url: '/checkout',
          headers: { ...headers, 'idempotency-key': `last-unit-gated-${i}` },
          payload: { paymentMethod: 'pm_card_visa' },
        }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    expect(statuses.filter((s) => s === 409).length).toBeGreaterThan(0);
    const orderIds = responses.filter((r) => r.statusCode === 202).map((r) => r.json().orderId as string);
    await expect
      .poll(
        async () => {
          const states = await Promise.all(orderIds.map((id) => orderState(t.platform, id)));
          return states.filter((s) => s.status === 'pending').length;
        },
        { timeout: 60_000, interval: 200 },
      )
      .toBe(0);
    const states = await Promise.all(orderIds.map((id) => orderState(t.platform, id)));
    expect(states.filter((s) => s.status === 'confirmed')).toHaveLength(1);
    for (const state of states.filter((s) => s.status !== 'confirmed'))
      expect(state).toMatchObject({ status: 'cancelled', cancellationReason: 'out_of_stock' });
    await expect
      .poll(() => inventoryOf(t.platform, sku), { timeout: 10_000 })
      .toMatchObject({ onHand: 0, reserved: 0 });
  }, 120_000);
});
