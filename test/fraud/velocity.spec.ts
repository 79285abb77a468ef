import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { checkout, inventoryOf, orderState, settled, stockProduct } from '../support/shop.ts';
import { DECLINING_CARDS, decided, gatewayCalls, orderEvents, outcome, screening } from './support.ts';

// Issue 18's card testing, replayed: one account tries one declined card after another. With the
// default rules, once it has three declined authorizations in 10 minutes its next orders never reach
// the gateway (counted at the gateway), while ordinary shoppers, one decline included, go through.

describe.each(['embedded', 'postgres'] as const)(
  'fraud velocity rules, enforced by default (%s)',
  (profile) => {
    let t: TestApp;
    let authorizations: ReturnType<typeof gatewayCalls>;
    beforeAll(async () => {
      t = await testApp(profile);
      authorizations = gatewayCalls(t.platform);
      await stockProduct(t.platform, `VEL-${profile}`, 100, 1_500);
    });
    afterAll(() => t.close());
    const sku = () => `VEL-${profile}`;

    it('stops a replayed card-testing run before the gateway after three declines', async () => {
      const tester = `card-tester-${profile}`;
      const orders: string[] = [];
      for (const card of DECLINING_CARDS) {
        const orderId = await checkout(t.platform, tester, [{ sku: sku(), quantity: 1 }], card);
        orders.push(orderId);
        await decided(t.platform, orderId);
      }
      // A working card changes nothing: the account is stopped for the 10 minutes.
      const withGoodCard = await checkout(t.platform, tester, [{ sku: sku(), quantity: 1 }], 'pm_card_visa');
      orders.push(withGoodCard);
      await decided(t.platform, withGoodCard);

      const outcomes = await Promise.all(orders.map(async (id) => outcome(await orderState(t.platform, id))));
      expect(outcomes).toEqual([
        ...Array(3).fill('cancelled:payment_failed'),
        ...Array(orders.length - 3).fill('cancelled:fraud_suspected'),
      ]);
      expect(authorizations(orders), 'authorizations the gateway was asked for').toBe(3);

      for (const orderId of orders.slice(3)) {
        const events = await orderEvents(t.platform, orderId);
        const placed = events.find((e) => e.type === 'OrderPlaced')!;
        const screened = events.find((e) => e.type === 'OrderScreened')!;
        expect(screened.data).toMatchObject({
          decision: 'block',
          rule: 'declines_per_customer',
          enforced: true,
          measures: expect.objectContaining({ declinesLast10Minutes: expect.any(Number) }),
        });
        expect(
          (screened.data as { measures: { declinesLast10Minutes: number } }).measures.declinesLast10Minutes,
        ).toBe(3);
        // The decision is the saga's, caused by the placement, and comes before anything else.
        expect(screened.metadata).toMatchObject({
          causationId: placed.eventId,
          actor: { id: 'checkout-saga' },
        });
        expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderScreened', 'OrderCancelled']);
        expect(await t.platform.store.readStream(streams.payment(orderId))).toEqual([]);
      }
      // Nothing left reserved by any of them.
      await expect.poll(() => inventoryOf(t.platform, sku())).toMatchObject({ reserved: 0 });
    });

    it('lets ordinary shoppers through, a customer with one decline and one with two included', async () => {
      const oneDecline = `one-decline-${profile}`;
      const twoDeclines = `two-declines-${profile}`;
      const first = await checkout(
        t.platform,
        oneDecline,
        [{ sku: sku(), quantity: 1 }],
        'pm_card_chargeDeclined',
      );
      expect(outcome(await decided(t.platform, first))).toBe('cancelled:payment_failed');
      const second = await checkout(t.platform, oneDecline, [{ sku: sku(), quantity: 1 }], 'pm_card_visa');
      expect(outcome(await settled(t.platform, second))).toBe('confirmed');

      for (const card of ['pm_card_chargeDeclined', 'pm_card_chargeDeclinedInsufficientFunds'])
        await decided(
          t.platform,
          await checkout(t.platform, twoDeclines, [{ sku: sku(), quantity: 1 }], card),
        );
      const third = await checkout(
        t.platform,
        twoDeclines,
        [{ sku: sku(), quantity: 1 }],
        'pm_card_mastercard',
      );
      expect(outcome(await settled(t.platform, third))).toBe('confirmed');

      const shoppers = await Promise.all(
        ['ann', 'ben', 'cy', 'dee'].map((name) =>
          checkout(t.platform, `${name}-${profile}`, [{ sku: sku(), quantity: 2 }], 'pm_card_visa'),
        ),
      );
      for (const orderId of [...shoppers, second, third]) {
        expect(outcome(await settled(t.platform, orderId))).toBe('confirmed');
        expect((await screening(t.platform, orderId))?.data).toMatchObject({ decision: 'allow', rule: null });
      }
    });

    it('lets at most four of a burst of cards placed at once reach the gateway', async () => {
      const burst = `burst-${profile}`;
      const cards = Array.from({ length: 10 }, (_, i) => `pm_card_Tester${String.fromCharCode(65 + i)}`);
      const orders = await Promise.all(
        cards.map((card) => checkout(t.platform, burst, [{ sku: sku(), quantity: 1 }], card)),
      );
      const outcomes = await Promise.all(orders.map(async (id) => outcome(await decided(t.platform, id))));
      // Each order was screened with every order placed before it counted: the fifth distinct card of
      // the day (and any order after three declines) goes no further.
      expect(authorizations(orders)).toBeLessThanOrEqual(4);
      expect(
        outcomes.filter((o) => o === 'review' || o === 'cancelled:fraud_suspected').length,
      ).toBeGreaterThanOrEqual(6);
      // The fifth card fired the payment-methods rule; the verdict may be a block for declines when the
      // first authorizations were declined before it was screened, but no such order went on.
      const screened = await Promise.all(orders.map((id) => screening(t.platform, id)));
      const fifthCardOn = screened
        .map((e) => e?.data as { decision: string; measures: { paymentMethodsLastDay: number } })
        .filter((d) => d.measures.paymentMethodsLastDay >= 5);
      expect(fifthCardOn.length).toBeGreaterThan(0);
      expect(fifthCardOn.map((d) => d.decision)).not.toContain('allow');
    });

    it('counts decisions by rule in /metrics', async () => {
      const text = await t.platform.metrics.registry.metrics();
      const count = (labels: string) =>
        Number(new RegExp(`^fraud_decisions_total\\{${labels}\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      expect(count('rule="declines_per_customer",decision="block",mode="enforce"')).toBeGreaterThanOrEqual(6);
      expect(count('rule="none",decision="allow",mode="enforce"')).toBeGreaterThanOrEqual(10);
    });
  },
);

describe('fraud velocity rules in shadow mode', () => {
  let t: TestApp;
  let authorizations: ReturnType<typeof gatewayCalls>;
  beforeAll(async () => {
    t = await testApp('embedded', { FRAUD_RULES: 'shadow' });
    authorizations = gatewayCalls(t.platform);
    await stockProduct(t.platform, 'SHADOW-1', 50, 1_500);
  });
  afterAll(() => t.close());

  it('records what the rules would decide, and lets every order go on', async () => {
    const orders: string[] = [];
    for (const card of DECLINING_CARDS.slice(0, 5)) {
      const orderId = await checkout(t.platform, 'shadow-tester', [{ sku: 'SHADOW-1', quantity: 1 }], card);
      orders.push(orderId);
      await decided(t.platform, orderId);
    }
    const good = await checkout(
      t.platform,
      'shadow-tester',
      [{ sku: 'SHADOW-1', quantity: 1 }],
      'pm_card_visa',
    );
    orders.push(good);
    expect(outcome(await settled(t.platform, good))).toBe('confirmed');

    expect(authorizations(orders)).toBe(orders.length);
    const decisions = await Promise.all(
      orders.map(async (id) => (await screening(t.platform, id))!.data as Record<string, unknown>),
    );
    expect(decisions.map((d) => [d.decision, d.rule, d.enforced])).toEqual([
      ['allow', null, false],
      ['allow', null, false],
      ['allow', null, false],
      ['block', 'declines_per_customer', false],
      ['block', 'declines_per_customer', false],
      ['block', 'declines_per_customer', false],
    ]);
    const text = await t.platform.metrics.registry.metrics();
    expect(text).toMatch(
      /^fraud_decisions_total\{rule="declines_per_customer",decision="block",mode="shadow"\} 3$/m,
    );
  });
});

describe('fraud velocity rules turned off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp('embedded', { FRAUD_RULES: 'off' });
    await stockProduct(t.platform, 'OFF-1', 10, 1_500);
  });
  afterAll(() => t.close());

  it('screen nothing: no decision is recorded', async () => {
    const orderId = await checkout(t.platform, 'off-shopper', [{ sku: 'OFF-1', quantity: 1 }]);
    expect(outcome(await settled(t.platform, orderId))).toBe('confirmed');
    expect((await orderEvents(t.platform, orderId)).map((e) => e.type)).not.toContain('OrderScreened');
  });
});
