import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { adminContext, checkout, settled, stockProduct } from '../support/shop.ts';
import { nextInstant } from '../support/time.ts';

describe.each(['embedded', 'postgres'] as const)('state as of a moment (%s)', (profile) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp(profile);
  });
  afterAll(() => t.close());

  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers });
  const expectProblem = (response: Awaited<ReturnType<typeof get>>, status: number) => {
    expect(response.statusCode, response.body).toBe(status);
    expect(response.headers['content-type']).toContain('application/problem+json');
  };

  it('answers GET /inventory/:sku?asOf= from the stock recorded up to then', async () => {
    const auditor = await signIn(t.app, t.platform, `asof-stock-auditor-${profile}@example.com`, 'auditor');
    const beforeListing = await nextInstant();
    await stockProduct(t.platform, 'ASOF-1', 5);
    const afterFirst = await nextInstant();
    const received = await t.platform.commands.inventory.handle(
      streams.inventory('ASOF-1'),
      { type: 'ReceiveStock', data: { sku: 'ASOF-1', quantity: 3 } },
      adminContext(),
    );
    expect(received._tag).toBe('Right');
    const afterSecond = await nextInstant();

    const at = (asOf: string) => get(`/inventory/ASOF-1?asOf=${encodeURIComponent(asOf)}`, auditor.headers);
    expect((await at(afterFirst)).json()).toEqual({ sku: 'ASOF-1', onHand: 5, reserved: 0, available: 5 });
    expect((await at(afterSecond)).json()).toEqual({ sku: 'ASOF-1', onHand: 8, reserved: 0, available: 8 });
    expect((await get('/inventory/ASOF-1')).json()).toEqual((await at(afterSecond)).json());
    // The same instant written with an offset reads the same.
    const offset = new Date(Date.parse(afterFirst)).toISOString().replace('Z', '+00:00');
    expect((await at(offset)).json()).toMatchObject({ onHand: 5 });
    expectProblem(await at(beforeListing), 404);
  });

  it('answers a listed SKU with no stock yet as zero, and an unknown SKU as 404, at any time', async () => {
    const admin = await signIn(t.app, t.platform, `asof-stock-admin-${profile}@example.com`, 'admin');
    await stockProduct(t.platform, 'ASOF-EMPTY', 0);
    const now = await nextInstant();
    expect((await get(`/inventory/ASOF-EMPTY?asOf=${now}`, admin.headers)).json()).toEqual({
      sku: 'ASOF-EMPTY',
      onHand: 0,
      reserved: 0,
      available: 0,
    });
    expectProblem(await get(`/inventory/ASOF-NEVER?asOf=${now}`, admin.headers), 404);
  });

  it('refuses a future or malformed time with 400', async () => {
    await stockProduct(t.platform, 'ASOF-2', 1);
    const customer = await signIn(t.app, t.platform, `asof-bad-${profile}@example.com`);
    // Stock history is for auditors and admins; an order's, for its owner too.
    const auditor = await signIn(t.app, t.platform, `asof-bad-auditor-${profile}@example.com`, 'auditor');
    const future = new Date(Date.now() + 60_000).toISOString();
    for (const asOf of [future, 'yesterday', '2026-13-01T00:00:00Z', '2026-01-01', '1700000000', ''])
      for (const [url, caller] of [
        ['/inventory/ASOF-2', auditor],
        ['/orders/00000000-0000-4000-8000-000000000000', customer],
      ] as const) {
        expectProblem(await get(`${url}?asOf=${encodeURIComponent(asOf)}`, caller.headers), 400);
      }
    expectProblem(await get('/inventory/ASOF-2?asof=2020-01-01T00:00:00Z'), 400);
  });

  it('answers GET /orders/:id?asOf= with the same shape, as the order was then, to its owner and auditors only', async () => {
    await stockProduct(t.platform, 'ASOF-ORDER', 10, 700);
    const owner = await signIn(t.app, t.platform, `asof-owner-${profile}@example.com`);
    const other = await signIn(t.app, t.platform, `asof-other-${profile}@example.com`);
    const auditor = await signIn(t.app, t.platform, `asof-auditor-${profile}@example.com`, 'auditor');
    const beforePlacing = await nextInstant();
    const orderId = await checkout(t.platform, owner.userId, [{ sku: 'ASOF-ORDER', quantity: 2 }]);
    expect((await settled(t.platform, orderId)).status).toBe('confirmed');
    const afterConfirmed = await nextInstant();
    const [placed] = await t.platform.store.readStream(streams.order(orderId), { maxCount: 1 });

    const url = `/orders/${orderId}`;
    const now = (await get(url, owner.headers)).json();
    expect(now).toMatchObject({ orderId, status: 'confirmed' });
    const atPlacing = await get(`${url}?asOf=${placed!.recordedAt}`, owner.headers);
    expect(atPlacing.statusCode).toBe(200);
    expect(atPlacing.json()).toEqual({
      orderId,
      customerId: owner.userId,
      status: 'pending',
      lines: now.lines,
      total: { amount: 1400, currency: 'USD' },
      refunded: { amount: 0, currency: 'USD' },
      shipments: [],
      returns: [],
      refunds: [],
      createdAt: now.createdAt,
      updatedAt: expect.any(String),
      timeline: [{ event: 'OrderPlaced', status: 'pending', at: placed!.recordedAt }],
    });
    expect(Object.keys(atPlacing.json()).sort()).toEqual(Object.keys(now).sort());
    expect((await get(`${url}?asOf=${afterConfirmed}`, owner.headers)).json()).toEqual(now);
    expect((await get(`${url}?asOf=${afterConfirmed}`, auditor.headers)).json()).toEqual(now);
    expectProblem(await get(`${url}?asOf=${afterConfirmed}`, other.headers), 404);
    expectProblem(await get(`${url}?asOf=${beforePlacing}`, owner.headers), 404);
    expectProblem(await get(`${url}?asOf=${beforePlacing}`, auditor.headers), 404);
    expect((await t.app.inject({ method: 'GET', url: `${url}?asOf=${afterConfirmed}` })).statusCode).toBe(
      401,
    );
  });
});
