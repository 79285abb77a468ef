import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { createMetrics, observeProjectionLag } from '../../src/observability/metrics.ts';
import { orderHistoryProjection } from '../../src/projections/orders/order-history.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { stockProduct } from '../support/shop.ts';
import { projectionPassed, until } from './support.ts';

const BOUND_MS = 400;

describe('the projection lag metric', () => {
  it('observes, per batch, the time since its oldest event was recorded, and keeps the last as a gauge', async () => {
    const metrics = createMetrics();
    const now = Date.parse('2026-01-01T00:00:10.000Z');
    observeProjectionLag(
      metrics,
      'catalog',
      [{ recordedAt: '2026-01-01T00:00:07.500Z' }, { recordedAt: '2026-01-01T00:00:09.000Z' }],
      now,
    );
    observeProjectionLag(metrics, 'catalog', [{ recordedAt: '2026-01-01T00:00:09.950Z' }], now);
    observeProjectionLag(metrics, 'catalog', [], now);
    const histogram = await metrics.registry.getSingleMetric('projection_lag_seconds')!.get();
    const sample = (name: string) =>
      (histogram.values as { metricName?: string; value: number }[]).find((v) => v.metricName === name)
        ?.value;
    expect(sample('projection_lag_seconds_count')).toBe(2);
    expect(sample('projection_lag_seconds_sum')).toBeCloseTo(2.55, 6);
    const gauge = await metrics.registry.getSingleMetric('projection_lag_last_seconds')!.get();
    expect(gauge.values).toEqual([{ labels: { projection: 'catalog' }, value: expect.closeTo(0.05, 6) }]);
  });
});

describe.each(['embedded', 'postgres'] as const)('projection lag and readiness (%s)', (profile) => {
  let t: TestApp;
  const written = new Set<string>();
  const stock = async (sku: string) => {
    await stockProduct(t.platform, sku, 5);
    written.add(streams.product(sku)).add(streams.inventory(sku));
  };
  const ready = async () => {
    const response = await t.app.inject({ method: 'GET', url: '/ready' });
    return { status: response.statusCode, body: response.json() as { checks: Record<string, string> } };
  };

  beforeAll(async () => {
    t = await testApp(profile, { PROJECTION_LAG_BOUND_MS: String(BOUND_MS) });
    await stock('LAG-1');
    await projectionPassed(t.platform.db, t.platform.store, 'catalog', written);
  });
  afterAll(() => t.close());

  it('exports the lag of each projection per applied batch at /metrics', async () => {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    const count = /^projection_lag_seconds_count\{projection="catalog"\} (\d+)$/m.exec(text)?.[1];
    expect(Number(count)).toBeGreaterThan(0);
    expect(text).toMatch(/^projection_lag_seconds_bucket\{le="0.1",projection="catalog"\} \d+$/m);
    expect(text).toMatch(/^projection_lag_last_seconds\{projection="catalog"\} [\d.e-]+$/m);
  });

  it("exports the checkout saga's slots and how long the oldest order it last claimed had waited", async () => {
    // Idle: every slot, and nothing claimed.
    await until(
      async () => /^checkout_saga_slots \d+$/m.test((await t.app.inject({ url: '/metrics' })).body),
      'the saga worker to claim once',
    );
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(new RegExp(`^checkout_saga_slots ${t.platform.config.SAGA_CONCURRENCY}$`, 'm'));
    expect(text).toMatch(/^checkout_saga_claimed_wait_seconds 0$/m);
  });

  it('is ready while idle, not ready once a stopped projection has events older than the bound, ready again when it runs', async () => {
    await until(async () => (await ready()).status === 200, '/ready to answer 200');
    // Nothing left to apply: however old the last event, an idle projection is not behind.
    const [newest] = await t.platform.store.readStream(streams.inventory('LAG-1'), {
      direction: 'backward',
      maxCount: 1,
    });
    await until(
      async () => Date.now() - Date.parse(newest!.recordedAt) > BOUND_MS * 2,
      'the newest event to be older than twice the bound',
    );
    expect(await ready()).toMatchObject({ status: 200, body: { checks: { projections: 'ok' } } });

    await t.platform.projections.stopLive(orderHistoryProjection.name);
    await stock('LAG-2');
    await projectionPassed(t.platform.db, t.platform.store, 'catalog', written);
    // Once the live projections have applied LAG-2's events (however long that takes on a loaded
    // machine), order-history is the one left behind.
    await until(async () => {
      const { status, body } = await ready();
      return status === 503 && /behind by more than 400 ms: order-history$/.test(body.checks.projections!);
    }, '/ready to answer 503, order-history last of those behind');
    const notReady = await ready();
    expect(notReady.body.checks.projections).toMatch(/behind by more than 400 ms: order-history$/);
    const admin = await signIn(t.app, t.platform, `lag-admin-${profile}@example.com`, 'admin');
    const overview = (
      await t.app.inject({ method: 'GET', url: '/admin/projections', headers: admin.headers })
    ).json().projections as { name: string; behind: boolean; lagSeconds: number; live: boolean }[];
    expect(overview.find((p) => p.name === 'order-history')).toMatchObject({ behind: true, live: false });
    expect(overview.find((p) => p.name === 'order-history')!.lagSeconds).toBeGreaterThan(BOUND_MS / 1000);
    expect(overview.find((p) => p.name === 'catalog')).toMatchObject({ behind: false, live: true });

    await t.platform.projections.startLive([orderHistoryProjection]);
    await until(async () => (await ready()).status === 200, '/ready to answer 200 again');
    expect((await ready()).body.checks.projections).toBe('ok');
  });
});
