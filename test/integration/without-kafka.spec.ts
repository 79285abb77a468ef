import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startIntegration } from '../../src/integration/index.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { checkout, orderState, stockProduct } from '../support/shop.ts';
import { analyticsApp } from './support/analytics-app.ts';
import { allSettled, until } from './support/wait.ts';

// KAFKA_BROKERS unset: the platform runs as before (embedded profile, PGlite), with no relay, no
// consumers and no connection to any broker; the analytics routes answer with nothing recorded.
// KAFKA_BROKERS pointing at a broker that is down: the platform still takes and settles orders.

const countOf = async (t: TestApp, table: string) =>
  Number((await t.platform.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`))[0]!.n);

describe('without KAFKA_BROKERS (embedded profile)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp('embedded');
  });
  afterAll(() => t.close());

  it('starts no integration at all', async () => {
    const config = loadConfig({ DATA_DIR: 'memory://', LOG_LEVEL: 'silent' });
    expect(config.KAFKA_BROKERS).toBeUndefined();
    expect(await startIntegration({ config, db: t.platform.db, store: t.platform.store })).toBeUndefined();
  });

  it('takes and settles orders while the relay stays idle: no lease, no checkpoint, no outbox', async () => {
    await stockProduct(t.platform, 'NOKAFKA-1', 5, 700);
    const orderIds = [
      await checkout(t.platform, 'eve', [{ sku: 'NOKAFKA-1', quantity: 4 }]),
      await checkout(t.platform, 'fay', [{ sku: 'NOKAFKA-1', quantity: 1 }], 'pm_card_chargeDeclined'),
    ];
    await allSettled(t.platform, orderIds);
    expect((await orderState(t.platform, orderIds[0]!)).status).toBe('confirmed');
    expect((await orderState(t.platform, orderIds[1]!)).status).toBe('cancelled');
    for (const table of [
      'integration_leases',
      'integration_relay_checkpoints',
      'integration_stock_levels',
      'integration_processed_events',
      'notifications_outbox',
      'analytics_funnel_daily',
    ])
      expect(await countOf(t, table), table).toBe(0);
  });

  it('answers the analytics routes with nothing recorded', async () => {
    const { app, bearer } = await analyticsApp(t.platform);
    try {
      const funnel = await app.inject({ url: '/admin/analytics/funnel', headers: bearer('admin') });
      expect(funnel.json()).toEqual({
        from: null,
        to: null,
        placed: 0,
        confirmed: 0,
        cancelled: 0,
        conversionRate: 0,
      });
      const sales = await app.inject({
        url: '/admin/analytics/sales?from=2026-01-01&to=2026-01-31',
        headers: bearer('admin'),
      });
      expect(sales.json()).toEqual({ from: '2026-01-01', to: '2026-01-31', sales: [] });
    } finally {
      await app.close();
    }
  });
});

describe('with KAFKA_BROKERS set but no broker answering', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Port 9 (discard) on loopback: nothing listens there, connections are refused at once.
    t = await testApp('embedded', { KAFKA_BROKERS: '127.0.0.1:9', KAFKA_RELAY_LEASE_SECONDS: '2' });
  });
  afterAll(() => t.close());

  it('still takes and settles orders; the relay holds the lease but its checkpoint does not move', async () => {
    await stockProduct(t.platform, 'DOWN-1', 3, 700);
    const orderId = await checkout(t.platform, 'gus', [{ sku: 'DOWN-1', quantity: 1 }]);
    await allSettled(t.platform, [orderId]);
    expect((await orderState(t.platform, orderId)).status).toBe('confirmed');
    await until(
      'the relay to take the lease',
      async () => (await countOf(t, 'integration_leases')) === 1,
      10_000,
    );
    expect(await countOf(t, 'integration_relay_checkpoints')).toBe(0);
    expect(await countOf(t, 'integration_processed_events')).toBe(0);
  });
});
