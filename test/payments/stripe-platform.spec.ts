import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { orderState, paymentOf, settled, stockProduct } from '../support/shop.ts';
import { assertStripeMockAnswers, stripeMockUrl } from './support/stripe-mock.ts';
import { startStripeProxy, type StripeProxy } from './support/stripe-proxy.ts';
import { stripeTestModeOutcomes } from './support/stripe-test-mode.ts';

// The Stripe adapter as the platform configures it from its own settings (STRIPE_SECRET_KEY,
// STRIPE_API_URL), driven by a checkout over HTTP, against the real stripe-mock.
//
// stripe-mock is stateless and answers every PaymentIntent with one fixture whose status is
// `requires_payment_method`, for create-and-confirm and for capture alike: no intent it returns is a
// hold, so a platform talking to it as it is cancels every order (shown below). To see an order
// confirmed, STRIPE_API_URL points at a recording proxy in front of stripe-mock that gives a
// confirmed intent the outcome Stripe's test mode documents for the card (`requires_capture` for
// pm_card_visa); stripe-mock still validates every request against Stripe's API.

const secretKey = 'sk_test_platformSuite'; // stripe-mock wants sk_test_<something without underscores>
const mock = stripeMockUrl();
const poll = { timeout: 30_000, interval: 50 };

describe('checkout through the Stripe adapter the platform configures (stripe-mock)', () => {
  let proxy: StripeProxy;
  let t: TestApp;
  let raw: TestApp;
  beforeAll(async () => {
    await assertStripeMockAnswers(mock);
    proxy = await startStripeProxy(mock, { rewrite: stripeTestModeOutcomes });
    t = await testApp('embedded', { STRIPE_SECRET_KEY: secretKey, STRIPE_API_URL: proxy.url.origin });
    raw = await testApp('embedded', { STRIPE_SECRET_KEY: secretKey, STRIPE_API_URL: mock.origin });
  });
  afterAll(async () => {
    await t?.close();
    await raw?.close();
    await proxy?.close();
  });

  /** A customer fills their cart and checks out with pm_card_visa over HTTP; the order's id. */
  async function checkOut({ app, platform }: TestApp, email: string, sku: string) {
    await stockProduct(platform, sku, 5, 2_500);
    const customer = await signIn(app, platform, email);
    const added = await app.inject({
      method: 'POST',
      url: '/cart/items',
      headers: customer.headers,
      payload: { sku, quantity: 2 },
    });
    expect(added.statusCode, added.body).toBe(200);
    const placed = await app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...customer.headers, 'idempotency-key': `stripe-platform-${sku}` },
      payload: { paymentMethod: 'pm_card_visa' },
    });
    expect(placed.statusCode, placed.body).toBe(202);
    const { orderId } = placed.json<{ orderId: string }>();
    return { orderId, customer };
  }

  it('pays with Stripe: authorized as a hold, the order confirmed, the hold captured', async () => {
    expect(t.platform.gateway.name).toBe('stripe');
    const { orderId, customer } = await checkOut(t, 'stripe-buyer@example.com', 'STRIPE-PLATFORM-1');
    await expect
      .poll(
        async () =>
          (await t.app.inject({ method: 'GET', url: `/orders/${orderId}`, headers: customer.headers })).json<{
            status: string;
          }>().status,
        poll,
      )
      .toBe('confirmed');
    await expect.poll(async () => (await paymentOf(t.platform, orderId)).status, poll).toBe('captured');

    // What the platform sent, with its configured key, to the endpoint it was configured with.
    const create = proxy.requests.find(
      (r) => r.path === '/v1/payment_intents' && r.form.get('metadata[orderId]') === orderId,
    );
    expect(create, JSON.stringify(proxy.requests.map((r) => `${r.method} ${r.path}`))).toBeDefined();
    expect(create!.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(Object.fromEntries(create!.form)).toMatchObject({
      amount: '5000',
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: 'true',
      'metadata[customerId]': customer.userId,
    });
    // The hold the payment stream records is the intent stripe-mock created, and that one was captured.
    const payment = await paymentOf(t.platform, orderId);
    const gatewayRef = payment.status === 'not_requested' ? null : payment.gatewayRef;
    expect(gatewayRef).toMatch(/^pi_/);
    expect(
      proxy.requests.filter(
        (r) => r.method === 'POST' && r.path === `/v1/payment_intents/${gatewayRef}/capture`,
      ),
    ).toHaveLength(1);
    const events = await t.platform.store.readStream(streams.payment(orderId));
    expect(events.map((e) => e.type)).toEqual(['PaymentRequested', 'PaymentAuthorized', 'PaymentCaptured']);
  });

  it('on stripe-mock as it is, reaches it and reads its fixture intent as no hold: the order is cancelled', async () => {
    expect(raw.platform.gateway.name).toBe('stripe');
    const { orderId } = await checkOut(raw, 'stripe-raw-buyer@example.com', 'STRIPE-PLATFORM-2');
    const order = await settled(raw.platform, orderId);
    expect(order.status).toBe('cancelled');
    const failed = (await raw.platform.store.readStream(streams.payment(orderId))).find(
      (e) => e.type === 'PaymentFailed',
    );
    // stripe-mock's own answer (a reason only an answer from stripe-mock can carry), not a refusal of
    // the key or an unreachable endpoint.
    expect(failed?.data).toMatchObject({ reason: 'requires_payment_method' });
    expect((await orderState(raw.platform, orderId)).status).toBe('cancelled');
  });
});
