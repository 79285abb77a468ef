import { isLeft } from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelPaidOrder } from '../../src/commands/fulfilment.ts';
import { requestRefund } from '../../src/commands/refunds.ts';
import { loadConfig } from '../../src/config.ts';
import type { PlacedOrder } from '../../src/domain/order/index.ts';
import { StripeGateway } from '../../src/payments/stripe-gateway.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import { RefundStepError } from '../../src/sagas/refund/refund-process.ts';
import { adminContext, checkout, orderState, paymentOf, stockProduct } from '../support/shop.ts';
import { assertStripeMockAnswers, stripeMockUrl } from './support/stripe-mock.ts';
import { startStripeProxy, type SeenRequest, type StripeProxy } from './support/stripe-proxy.ts';
import { stripeTestModeOutcomes } from './support/stripe-test-mode.ts';

// Refunds through Stripe, as the platform configures it itself (STRIPE_SECRET_KEY, STRIPE_API_URL):
// the checkout saga holds and captures a PaymentIntent on stripe-mock, then the refund process refunds
// it with one idempotency key per refund, the same on every retry. A recording proxy in front of
// stripe-mock shows what the SDK really sent, and stages the outage stripe-mock never has.

const mock = stripeMockUrl();
let failRefunds = 0;

describe('refunds through Stripe (stripe-mock, the platform configured by its own settings)', () => {
  let proxy: StripeProxy;
  let platform: Platform;
  beforeAll(async () => {
    await assertStripeMockAnswers(mock);
    proxy = await startStripeProxy(mock, {
      rewrite: stripeTestModeOutcomes,
      intercept: (request) => {
        if (request.path !== '/v1/refunds' || failRefunds === 0) return undefined;
        failRefunds--;
        return { status: 503, body: { error: { type: 'api_error', message: 'staged outage' } } };
      },
    });
    platform = await openPlatform(
      loadConfig({
        DATA_DIR: 'memory://',
        JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!',
        LOG_LEVEL: 'silent',
        STRIPE_SECRET_KEY: 'sk_test_refunds',
        STRIPE_API_URL: proxy.url.origin,
        PAYMENT_TIMEOUT_MS: '5000',
      }),
    );
    await stockProduct(platform, 'STRIPE-R', 10, 1500);
  });
  afterAll(async () => {
    await platform?.close();
    await proxy?.close();
  });

  const admin = () => ({ ...adminContext(), now: new Date() });
  const orders = () => ({ orders: platform.commands.order });
  const refundCalls = (): SeenRequest[] => proxy.requests.filter((r) => r.path === '/v1/refunds');

  /** An order held and captured on Stripe (the checkout saga driven here, no background workers). */
  async function capturedOrder(quantity: number) {
    const orderId = await checkout(platform, `stripe-customer-${quantity}`, [{ sku: 'STRIPE-R', quantity }]);
    await platform.saga.drive(orderId);
    expect((await orderState(platform, orderId)).status).toBe('confirmed');
    const payment = await paymentOf(platform, orderId);
    expect(payment).toMatchObject({ status: 'captured', gatewayRef: expect.stringMatching(/^pi_/) });
    return { orderId, gatewayRef: payment.status === 'not_requested' ? '' : payment.gatewayRef! };
  }

  it('is the Stripe gateway the settings asked for', () =>
    expect(platform.gateway).toBeInstanceOf(StripeGateway));

  it('refunds part of a captured intent under the refund’s own key, and records it', async () => {
    const { orderId, gatewayRef } = await capturedOrder(2);
    const asked = await requestRefund(orders(), {
      orderId,
      idempotencyKey: 'stripe-refund-1',
      amount: { amount: 1000, currency: 'USD' },
      reason: 'scratched',
      context: admin(),
    });
    if (isLeft(asked)) throw new Error(asked.left.code);
    const before = refundCalls().length;
    await platform.refunds.drive(orderId);
    const sent = refundCalls().slice(before);
    expect(sent.map((r) => [r.headers['idempotency-key'], Object.fromEntries(r.form)])).toEqual([
      [`${orderId}:refund:${asked.right.refundId}`, { payment_intent: gatewayRef, amount: '1000' }],
    ]);
    expect(await orderState(platform, orderId)).toMatchObject({
      status: 'confirmed',
      refunded: 1000,
      refunds: [{ refundId: asked.right.refundId, status: 'issued' }],
    });
    expect(await paymentOf(platform, orderId)).toMatchObject({ refundedAmount: 1000 });
    // Nothing more to do: Stripe is not asked again.
    await platform.refunds.drive(orderId);
    expect(refundCalls().length).toBe(before + 1);
  });

  it('shows a refund Stripe could not take as failed, then refunds it on a later try with the same key', async () => {
    const { orderId } = await capturedOrder(1);
    const asked = await requestRefund(orders(), {
      orderId,
      idempotencyKey: 'stripe-refund-2',
      amount: { amount: 1500, currency: 'USD' },
      reason: 'never arrived',
      context: admin(),
    });
    if (isLeft(asked)) throw new Error(asked.left.code);
    const before = refundCalls().length;
    failRefunds = 100; // Stripe is down for refunds: the SDK's own retries and ours all fail
    await expect(platform.refunds.drive(orderId)).rejects.toThrow(RefundStepError);
    expect(((await orderState(platform, orderId)) as PlacedOrder).refunds).toEqual([
      expect.objectContaining({ status: 'failed', failureReason: 'unavailable' }),
    ]);
    failRefunds = 0;
    await platform.refunds.drive(orderId);
    expect(await orderState(platform, orderId)).toMatchObject({
      status: 'refunded',
      refunded: 1500,
      refunds: [{ status: 'issued' }],
    });
    const keys = new Set(
      refundCalls()
        .slice(before)
        .map((r) => r.headers['idempotency-key']),
    );
    expect(keys).toEqual(new Set([`${orderId}:refund:${asked.right.refundId}`]));
  });

  it('refunds a cancelled paid order in full', async () => {
    const { orderId, gatewayRef } = await capturedOrder(3);
    const cancelled = await cancelPaidOrder(orders(), {
      orderId,
      reason: 'duplicate order',
      context: admin(),
    });
    if (isLeft(cancelled)) throw new Error(cancelled.left.code);
    const before = refundCalls().length;
    await platform.refunds.drive(orderId);
    expect(
      refundCalls()
        .slice(before)
        .map((r) => Object.fromEntries(r.form)),
    ).toEqual([{ payment_intent: gatewayRef, amount: '4500' }]);
    expect(await orderState(platform, orderId)).toMatchObject({ status: 'cancelled', refunded: 4500 });
  });
});
