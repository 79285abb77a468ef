import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { settled, stockProduct } from '../support/shop.ts';
import { stripeMockUrl } from '../payments/support/stripe-mock.ts';

// GET /storefront/config: what a page needs to start, for anyone, cacheable for a minute; on the
// simulated gateway the test payment methods it lists answer as it says they do.

type StorefrontConfig = {
  gateway: string;
  stripePublishableKey?: string;
  paymentMethods: { id: string; label: string; outcome: string }[];
  currency: string;
  returnWindowDays: number;
};
const PUBLISHABLE_KEY = 'pk_test_storefrontSuite';

describe('storefront configuration on the simulated gateway', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp('embedded', {
      RETURN_WINDOW_DAYS: '14',
      PAYMENT_TIMEOUT_MS: '2000',
      // Configured, but payments do not go to Stripe: the pages must not load Stripe.js with it.
      STRIPE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
    });
    await stockProduct(t.platform, 'CONFIG-1', 100, 1_000);
  });
  afterAll(() => t?.close());

  it('answers anyone, without a token, cacheable for a minute', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/storefront/config' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=60');
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.json()).toEqual({
      gateway: 'simulated',
      paymentMethods: [
        { id: 'pm_card_visa', label: expect.any(String), outcome: 'approved' },
        { id: 'pm_card_chargeDeclined', label: expect.any(String), outcome: 'declined' },
        { id: 'pm_sim_slow', label: expect.any(String), outcome: 'approved_late' },
      ],
      currency: 'USD',
      returnWindowDays: 14,
    });
  });

  it('lists payment methods that the gateway answers as it says', async () => {
    const config = (
      await t.app.inject({ method: 'GET', url: '/storefront/config' })
    ).json<StorefrontConfig>();
    const buyer = await signIn(t.app, t.platform, 'config-buyer@example.com');
    const expected: Record<string, string> = {
      approved: 'confirmed',
      approved_late: 'confirmed',
      declined: 'cancelled',
    };
    for (const [n, method] of config.paymentMethods.entries()) {
      const added = await t.app.inject({
        method: 'POST',
        url: '/cart/items',
        headers: buyer.headers,
        payload: { sku: 'CONFIG-1', quantity: 1 },
      });
      expect(added.statusCode).toBe(200);
      const placed = await t.app.inject({
        method: 'POST',
        url: '/checkout',
        headers: { ...buyer.headers, 'idempotency-key': `storefront-config-${n}` },
        payload: { paymentMethod: method.id },
      });
      expect(placed.statusCode, method.id).toBe(202);
      const order = await settled(t.platform, placed.json<{ orderId: string }>().orderId);
      expect(order.status, method.id).toBe(expected[method.outcome]);
    }
  });
});

describe('storefront configuration on Stripe', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp('embedded', {
      STRIPE_SECRET_KEY: 'sk_test_storefrontSuite',
      STRIPE_API_URL: stripeMockUrl().origin,
      STRIPE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
    });
  });
  afterAll(() => t?.close());

  it("hands the pages the publishable key and, in Stripe's test mode, Stripe's test payment methods", async () => {
    const response = await t.app.inject({ method: 'GET', url: '/storefront/config' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      gateway: 'stripe',
      stripePublishableKey: PUBLISHABLE_KEY,
      paymentMethods: [
        { id: 'pm_card_visa', label: 'Stripe test card: Visa, approved', outcome: 'approved' },
        { id: 'pm_card_chargeDeclined', label: 'Stripe test card: declined', outcome: 'declined' },
      ],
      currency: 'USD',
      returnWindowDays: 30,
    });
    expect(response.body).not.toContain('sk_test_storefrontSuite');
  });

  it('refuses to start with a secret key where the publishable key goes', () => {
    expect(() => loadConfig({ STRIPE_PUBLISHABLE_KEY: 'sk_test_storefrontSuite' })).toThrow(ConfigError);
    expect(() => loadConfig({ STRIPE_PUBLISHABLE_KEY: 'sk_test_storefrontSuite' })).toThrow(
      /STRIPE_PUBLISHABLE_KEY/,
    );
    expect(loadConfig({ STRIPE_PUBLISHABLE_KEY: 'pk_live_abc123' }).STRIPE_PUBLISHABLE_KEY).toBe(
      'pk_live_abc123',
    );
  });
});
