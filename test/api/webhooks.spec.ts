import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { checkout, paymentOf, settled, stockProduct } from '../support/shop.ts';

const SECRET = 'whsec_test_secret_for_webhooks';

const stripeEvent = (type: string, intentId: string, orderId: string) =>
  JSON.stringify({
    id: `evt_${intentId}`,
    object: 'event',
    type,
    api_version: '2024-06-20',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: intentId, object: 'payment_intent', metadata: { orderId } } },
  });

describe('Stripe webhooks', () => {
  let t: TestApp;
  beforeAll(
    async () => (t = await testApp('embedded', { STRIPE_WEBHOOK_SECRET: SECRET, PAYMENT_TIMEOUT_MS: '300' })),
  );
  afterAll(() => t.close());

  const post = (payload: string, signature?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/webhooks/stripe',
      payload,
      headers: {
        'content-type': 'application/json',
        ...(signature ? { 'stripe-signature': signature } : {}),
      },
    });
  const sign = (payload: string, secret = SECRET) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret });

  it('refuses unsigned, wrongly signed and tampered calls, recording nothing', async () => {
    const before = (await t.platform.store.readAll({ maxCount: 10_000 })).events.length;
    const payload = stripeEvent('payment_intent.succeeded', 'pi_1', 'order-x');
    for (const response of [
      await post(payload),
      await post(payload, sign(payload, 'whsec_someone_else')),
      await post(payload.replace('pi_1', 'pi_2'), sign(payload)),
    ]) {
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect((await t.platform.store.readAll({ maxCount: 10_000 })).events.length).toBe(before);
  });

  it('voids an authorization that arrives after the saga gave the order up', async () => {
    await stockProduct(t.platform, 'HOOK-1', 3);
    const orderId = await checkout(
      t.platform,
      'hook-customer',
      [{ sku: 'HOOK-1', quantity: 1 }],
      'pm_sim_timeout',
    );
    expect(await settled(t.platform, orderId)).toMatchObject({ status: 'cancelled' });
    expect((await paymentOf(t.platform, orderId)).status).toBe('failed');
    // Meanwhile the gateway did authorize (here: an authorization made directly on the simulated gateway).
    const late = await t.platform.gateway.authorize({
      orderId,
      amount: { amount: 1999, currency: 'USD' },
      paymentMethod: 'pm_card_visa',
      idempotencyKey: `${orderId}:late`,
    });
    if (late.status !== 'authorized') throw new Error('the simulated gateway should approve pm_card_visa');
    const payload = stripeEvent('payment_intent.amount_capturable_updated', late.gatewayRef, orderId);
    const response = await post(payload, sign(payload));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ received: true, acted: true });
    await expect
      .poll(async () => (await paymentOf(t.platform, orderId)).status, { timeout: 10_000 })
      .toBe('voided');
    const types = (await t.platform.store.readStream(streams.payment(orderId))).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['PaymentAuthorized', 'PaymentVoided']);
  });
});
