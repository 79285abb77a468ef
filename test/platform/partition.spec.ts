import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderIdFor } from '../../src/commands/checkout.ts';
import { streams } from '../../src/commands/index.ts';
import { signIn } from '../support/http.ts';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { serviceUrl } from '../support/services.ts';
import { projectionPassed } from '../projections/support.ts';
import { settled, stockProduct } from '../support/shop.ts';

// The seed's partition promise, with PostgreSQL frozen (every server process stopped, as a network
// partition looks) on a server of this test's own: browsing answers from Redis and Elasticsearch
// (AP), orders answer 503 at once and are placed exactly once when retried after (CP).

const SKU = 'PARTITION-1';

describe('the database cut off (services profile: PostgreSQL, Redis, Elasticsearch)', () => {
  let server: OwnPostgres;
  let t: TestApp;
  let customer: { userId: string; headers: Record<string, string> };
  let admin: { headers: Record<string, string> };
  const prefix = `partition-${randomBytes(4).toString('hex')}-`;

  beforeAll(async () => {
    server = await startOwnPostgres();
    t = await testApp('embedded', {
      DATABASE_URL: server.url,
      REDIS_URL: serviceUrl('REDIS_URL'),
      REDIS_KEY_PREFIX: prefix,
      ELASTICSEARCH_URL: serviceUrl('ELASTICSEARCH_URL'),
      ELASTICSEARCH_INDEX_PREFIX: prefix,
      PAYMENT_TIMEOUT_MS: '1000',
    });
    await stockProduct(t.platform, SKU, 10, 2500);
    customer = await signIn(t.app, t.platform, 'partition-customer@example.com');
    admin = await signIn(t.app, t.platform, 'partition-admin@example.com', 'admin');
    const added = await t.app.inject({
      method: 'POST',
      url: '/cart/items',
      headers: customer.headers,
      payload: { sku: SKU, quantity: 1 },
    });
    expect(added.statusCode).toBe(200);
  }, 120_000);

  afterAll(async () => {
    server?.thaw();
    await t?.close();
    await server?.stop();
  });

  it('keeps browsing, refuses writes with 503 at once, says why, and places a retried order exactly once', async () => {
    const checkout = () =>
      t.app.inject({
        method: 'POST',
        url: '/checkout',
        headers: { ...customer.headers, 'idempotency-key': 'partition-order-1' },
        payload: { paymentMethod: 'pm_card_visa' },
      });
    // The product page in Redis and the product in the search index, as on any busy day: once every
    // follower of the log has passed the SKU's and the cart's events (a later one would evict the page).
    const followers = (await t.platform.projections.overview(60_000)).filter((p) => p.checkpoint !== null);
    for (const { name } of followers)
      await projectionPassed(t.platform.db, t.platform.store, name, [
        streams.product(SKU),
        streams.inventory(SKU),
      ]);
    await expect
      .poll(async () => (await t.app.inject({ method: 'GET', url: `/products/${SKU}` })).statusCode, {
        timeout: 60_000,
      })
      .toBe(200);
    await expect
      .poll(async () => (await t.app.inject({ method: 'GET', url: `/products?q=${SKU}` })).json().total, {
        timeout: 60_000,
      })
      .toBe(1);
    server.freeze();
    try {
      const page = await t.app.inject({ method: 'GET', url: `/products/${SKU}` });
      expect(page.statusCode).toBe(200);
      expect(page.json()).toMatchObject({ sku: SKU, price: { amount: 2500 } });
      const search = await t.app.inject({ method: 'GET', url: `/products?q=${SKU}` });
      expect(search.statusCode).toBe(200);
      expect(search.json().items.map((i: { sku: string }) => i.sku)).toEqual([SKU]);

      for (const refused of [
        await checkout(),
        await t.app.inject({
          method: 'POST',
          url: '/cart/items',
          headers: customer.headers,
          payload: { sku: SKU, quantity: 1 },
        }),
        await t.app.inject({
          method: 'POST',
          url: `/admin/inventory/${SKU}/receive`,
          headers: admin.headers,
          payload: { quantity: 5 },
        }),
      ]) {
        expect(refused.statusCode, refused.body).toBe(503);
        expect(refused.headers['content-type']).toContain('application/problem+json');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      }

      const ready = await t.app.inject({ method: 'GET', url: '/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks).toMatchObject({
        database: expect.stringMatching(/down|unavailable|timeout/i),
      });
    } finally {
      server.thaw();
    }

    // Back without a restart: the client retries with the same key until it is accepted.
    let placed = await checkout();
    for (let i = 0; placed.statusCode === 503 && i < 30; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      placed = await checkout();
    }
    expect(placed.statusCode, placed.body).toBe(202);
    const { orderId } = placed.json() as { orderId: string };
    expect(orderId).toBe(orderIdFor(customer.userId, 'partition-order-1'));
    await settled(t.platform, orderId);
    const events = await t.platform.store.readStream(streams.order(orderId));
    expect(events.filter((e) => e.type === 'OrderPlaced')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'OrderConfirmed')).toHaveLength(1);
    await expect
      .poll(async () => (await t.app.inject({ method: 'GET', url: '/ready' })).statusCode, {
        timeout: 60_000,
      })
      .toBe(200);
  }, 180_000);
});
