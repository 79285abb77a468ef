import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { checkout, inventoryOf, orderState, paymentOf, settled, stockProduct } from '../support/shop.ts';

describe('checkout saga (embedded profile, simulated gateway)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await testApp('embedded', { PAYMENT_TIMEOUT_MS: '500' })));
  afterAll(() => t.close());

  // An order is cancelled first and its reservations released after: a cancelled order's stock is
  // waited for, not read at once.
  it('confirms a paid order: stock committed, payment captured once', async () => {
    await stockProduct(t.platform, 'SAGA-A', 5, 1000);
    await stockProduct(t.platform, 'SAGA-B', 5, 250);
    const orderId = await checkout(t.platform, 'cust-1', [
      { sku: 'SAGA-B', quantity: 2 },
      { sku: 'SAGA-A', quantity: 1 },
    ]);
    const order = await settled(t.platform, orderId);
    expect(order).toMatchObject({ status: 'confirmed', total: { amount: 1500, currency: 'USD' } });
    expect(await inventoryOf(t.platform, 'SAGA-A')).toMatchObject({ onHand: 4, reserved: 0 });
    expect(await inventoryOf(t.platform, 'SAGA-B')).toMatchObject({ onHand: 3, reserved: 0 });
    await expect.poll(async () => (await paymentOf(t.platform, orderId)).status).toBe('captured');
    const types = (await t.platform.store.readStream(streams.order(orderId))).map((e) => e.type);
    expect(types).toEqual([
      'OrderPlaced',
      'OrderScreened',
      'OrderLineReserved',
      'OrderLineReserved',
      'OrderPaymentAuthorized',
      'OrderConfirmed',
    ]);
  });

  it('cancels a declined order and gives its stock back', async () => {
    await stockProduct(t.platform, 'SAGA-C', 3);
    const orderId = await checkout(
      t.platform,
      'cust-2',
      [{ sku: 'SAGA-C', quantity: 2 }],
      'pm_card_chargeDeclined',
    );
    expect(await settled(t.platform, orderId)).toMatchObject({
      status: 'cancelled',
      cancellationReason: 'payment_failed',
    });
    await expect.poll(() => inventoryOf(t.platform, 'SAGA-C')).toMatchObject({ onHand: 3, reserved: 0 });
    expect((await paymentOf(t.platform, orderId)).status).toBe('failed');
  });

  it('cancels an order it cannot fill and releases the lines it had reserved', async () => {
    await stockProduct(t.platform, 'SAGA-D', 5);
    await stockProduct(t.platform, 'SAGA-E', 1);
    const orderId = await checkout(t.platform, 'cust-3', [
      { sku: 'SAGA-D', quantity: 2 },
      { sku: 'SAGA-E', quantity: 2 },
    ]);
    expect(await settled(t.platform, orderId)).toMatchObject({
      status: 'cancelled',
      cancellationReason: 'out_of_stock',
    });
    await expect.poll(() => inventoryOf(t.platform, 'SAGA-D')).toMatchObject({ onHand: 5, reserved: 0 });
    await expect.poll(() => inventoryOf(t.platform, 'SAGA-E')).toMatchObject({ onHand: 1, reserved: 0 });
    expect((await paymentOf(t.platform, orderId)).status).toBe('not_requested');
  });

  it('gives up on a gateway that never answers, retrying with the same key, and cancels', async () => {
    await stockProduct(t.platform, 'SAGA-F', 1);
    const orderId = await checkout(t.platform, 'cust-4', [{ sku: 'SAGA-F', quantity: 1 }], 'pm_sim_timeout');
    expect(await settled(t.platform, orderId)).toMatchObject({ status: 'cancelled' });
    await expect.poll(() => inventoryOf(t.platform, 'SAGA-F')).toMatchObject({ onHand: 1, reserved: 0 });
    expect(await paymentOf(t.platform, orderId)).toMatchObject({
      status: 'failed',
      failureReason: 'gateway_timeout',
    });
  });

  it('places the same order once for a repeated Idempotency-Key', async () => {
    await stockProduct(t.platform, 'SAGA-G', 10);
    const first = await checkout(
      t.platform,
      'cust-5',
      [{ sku: 'SAGA-G', quantity: 1 }],
      'pm_card_visa',
      'key-12345678',
    );
    const again = await checkout(
      t.platform,
      'cust-5',
      [{ sku: 'SAGA-G', quantity: 1 }],
      'pm_card_visa',
      'key-12345678',
    );
    expect(again).toBe(first);
    await settled(t.platform, first);
    expect(await inventoryOf(t.platform, 'SAGA-G')).toMatchObject({ onHand: 9 });
    await expect(
      checkout(t.platform, 'cust-5', [{ sku: 'SAGA-G', quantity: 1 }], 'pm_card_mastercard', 'key-12345678'),
    ).rejects.toThrow(/IdempotencyKeyReused/);
  });

  it('lets a customer cancel while pending; the saga compensates', async () => {
    await stockProduct(t.platform, 'SAGA-H', 2);
    const orderId = await checkout(t.platform, 'cust-6', [{ sku: 'SAGA-H', quantity: 1 }], 'pm_sim_slow');
    await expect.poll(async () => (await orderState(t.platform, orderId)).status !== 'not_placed').toBe(true);
    await t.platform.commands.order.handle(
      streams.order(orderId),
      {
        type: 'CancelOrder',
        data: { orderId, reason: 'cancelled_by_customer', at: new Date().toISOString() },
      },
      { actor: { id: 'cust-6', role: 'customer' }, correlationId: 'c' },
    );
    expect(await settled(t.platform, orderId)).toMatchObject({ status: 'cancelled' });
    await expect
      .poll(async () => (await inventoryOf(t.platform, 'SAGA-H')).reserved, { timeout: 10_000 })
      .toBe(0);
    await expect
      .poll(async () => (await paymentOf(t.platform, orderId)).status, { timeout: 10_000 })
      .toMatch(/^(not_requested|failed|voided)$/);
    expect((await inventoryOf(t.platform, 'SAGA-H')).onHand).toBe(2);
  });
});

describe('checkout saga when the gateway answers after the timeout', () => {
  let t: TestApp;
  beforeAll(async () => (t = await testApp('embedded', { PAYMENT_TIMEOUT_MS: '100' })));
  afterAll(() => t.close());

  it('never keeps a hold for a cancelled order, nor an unpaid confirmed one', async () => {
    await stockProduct(t.platform, 'LATE-1', 10);
    const orderIds = [];
    for (let i = 0; i < 3; i++)
      orderIds.push(await checkout(t.platform, `late-${i}`, [{ sku: 'LATE-1', quantity: 1 }], 'pm_sim_slow'));
    for (const orderId of orderIds) await settled(t.platform, orderId);
    await expect
      .poll(() => t.platform.db.query('SELECT 1 FROM checkout_saga'), { timeout: 10_000 })
      .toEqual([]);
    const ledger = await (
      t.platform.gateway as unknown as {
        ledger(): Promise<{ authorizations: { orderId: string; status: string; gatewayRef: string }[] }>;
      }
    ).ledger();
    for (const orderId of orderIds) {
      const { status } = await orderState(t.platform, orderId);
      const holds = ledger.authorizations.filter((a) => a.orderId === orderId);
      const payment = (await t.platform.store.readStream(streams.payment(orderId))).map((e) => ({
        type: e.type,
        ...(e.data as { reason?: string; gatewayRef?: string }),
      }));
      const label = JSON.stringify({ status, holds, payment });
      // The case happened: the gateway's answer came after the saga's wait had timed out, and the
      // hold it made is in the gateway's ledger (one: every ask carried the same key).
      expect(holds, label).toHaveLength(1);
      if (status === 'confirmed')
        expect(
          holds.map((h) => h.status),
          label,
        ).toEqual(['captured']);
      else {
        // Cancelled for the timeout, then the late authorization recorded, and voided.
        const timedOut = payment.findIndex(
          (e) => e.type === 'PaymentFailed' && e.reason === 'gateway_timeout',
        );
        const authorized = payment.findIndex(
          (e) => e.type === 'PaymentAuthorized' && e.gatewayRef === holds[0]!.gatewayRef,
        );
        expect(timedOut, label).toBeGreaterThanOrEqual(0);
        expect(authorized, label).toBeGreaterThan(timedOut);
        expect(
          holds.map((h) => h.status),
          label,
        ).toEqual(['voided']);
      }
    }
    // Every order's first ask outlived the wait.
    const timeouts = (await t.platform.metrics.paymentGatewayDuration.get()).values.find(
      (v) =>
        v.metricName === 'payment_gateway_duration_seconds_count' &&
        v.labels.operation === 'authorize' &&
        v.labels.outcome === 'timeout',
    );
    expect(timeouts?.value ?? 0).toBeGreaterThanOrEqual(orderIds.length);
  });
});
