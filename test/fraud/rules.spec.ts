import { describe, expect, it } from 'vitest';
import { clientAddressKey } from '../../src/commands/client-address.ts';
import { fraudPolicy, loadConfig } from '../../src/config.ts';
import { customerData, screen, type CustomerFacts, type FraudPolicy } from '../../src/domain/fraud/index.ts';

// The fraud rules as pure functions of what the read model counted, under the configured policy.

const policy = fraudPolicy(loadConfig({}))!;

/** An ordinary shopper's facts: nothing the rules count. */
const ordinary: CustomerFacts = {
  declinesLast10Minutes: 0,
  ordersLastHour: 0,
  ordersFromAddressLastHour: 0,
  paymentMethodsLastDay: 1,
  confirmedOrders: 2,
  orderAmount: 4_999,
};

describe('the default policy', () => {
  it('is enforced, blocks card testing and holds the rest for review', () => {
    expect(policy).toEqual({
      mode: 'enforce',
      rules: {
        declines_per_customer: { limit: 3, action: 'block' },
        orders_per_customer: { limit: 20, action: 'review' },
        orders_per_address: { limit: 50, action: 'review' },
        payment_methods_per_customer: { limit: 5, action: 'review' },
        new_account_amount: { limit: 100_000, action: 'review' },
      },
    });
  });

  it('is off with FRAUD_RULES=off, records without acting in shadow, and drops a rule set to 0', () => {
    expect(fraudPolicy(loadConfig({ FRAUD_RULES: 'off' }))).toBeUndefined();
    const shadow = fraudPolicy(
      loadConfig({
        FRAUD_RULES: 'shadow',
        FRAUD_ORDERS_PER_ADDRESS_PER_HOUR: '0',
        FRAUD_BLOCK_RULES: 'declines_per_customer, payment_methods_per_customer',
      }),
    )!;
    expect(shadow.mode).toBe('shadow');
    expect(shadow.rules.orders_per_address).toBeUndefined();
    expect(shadow.rules.payment_methods_per_customer).toEqual({ limit: 5, action: 'block' });
    const reviewsOnly = fraudPolicy(loadConfig({ FRAUD_BLOCK_RULES: 'none' }))!;
    expect(Object.values(reviewsOnly.rules).map((r) => r.action)).toEqual(Array(5).fill('review'));
  });

  it('refuses a rule name it does not know, and a negative limit', () => {
    expect(() => loadConfig({ FRAUD_BLOCK_RULES: 'declines_per_customer,velocity' })).toThrow(
      /FRAUD_BLOCK_RULES/,
    );
    expect(() => loadConfig({ FRAUD_DECLINES_PER_10_MINUTES: '-1' })).toThrow(
      /FRAUD_DECLINES_PER_10_MINUTES/,
    );
    expect(() => loadConfig({ FRAUD_RULES: 'maybe' })).toThrow(/FRAUD_RULES/);
  });
});

describe('the rules', () => {
  it('allow an ordinary shopper, naming no rule', () => {
    expect(screen(ordinary, policy)).toEqual({ decision: 'allow', rule: null, fired: [] });
  });

  it('allow a customer with one or two declines in 10 minutes, and block at the third', () => {
    expect(screen({ ...ordinary, declinesLast10Minutes: 1 }, policy).decision).toBe('allow');
    expect(screen({ ...ordinary, declinesLast10Minutes: 2 }, policy).decision).toBe('allow');
    expect(screen({ ...ordinary, declinesLast10Minutes: 3 }, policy)).toEqual({
      decision: 'block',
      rule: 'declines_per_customer',
      fired: [{ rule: 'declines_per_customer', action: 'block' }],
    });
  });

  it('hold for review the 21st order of a customer in an hour, and the 51st from one address', () => {
    expect(screen({ ...ordinary, ordersLastHour: 19 }, policy).decision).toBe('allow');
    expect(screen({ ...ordinary, ordersLastHour: 20 }, policy)).toMatchObject({
      decision: 'review',
      rule: 'orders_per_customer',
    });
    expect(screen({ ...ordinary, ordersFromAddressLastHour: 50 }, policy).rule).toBe('orders_per_address');
  });

  it('do not count an address they do not know', () => {
    expect(screen({ ...ordinary, ordersFromAddressLastHour: null }, policy).decision).toBe('allow');
  });

  it('hold the fifth distinct payment method of a day for review', () => {
    expect(screen({ ...ordinary, paymentMethodsLastDay: 4 }, policy).decision).toBe('allow');
    expect(screen({ ...ordinary, paymentMethodsLastDay: 5 }, policy).rule).toBe(
      'payment_methods_per_customer',
    );
  });

  it("measure a new account's first order by its amount, and not a customer who bought before", () => {
    const first = { ...ordinary, confirmedOrders: 0 };
    expect(screen({ ...first, orderAmount: 99_999 }, policy).decision).toBe('allow');
    expect(screen({ ...first, orderAmount: 100_000 }, policy)).toMatchObject({
      decision: 'review',
      rule: 'new_account_amount',
    });
    expect(screen({ ...ordinary, orderAmount: 500_000 }, policy).decision).toBe('allow');
  });

  it('decide by the most severe action, named by the first rule that asked for it, listing every rule that fired', () => {
    const verdict = screen(
      { ...ordinary, declinesLast10Minutes: 7, ordersLastHour: 30, paymentMethodsLastDay: 8 },
      policy,
    );
    expect(verdict.decision).toBe('block');
    expect(verdict.rule).toBe('declines_per_customer');
    expect(verdict.fired.map((f) => f.rule)).toEqual([
      'declines_per_customer',
      'orders_per_customer',
      'payment_methods_per_customer',
    ]);
    const reviews: FraudPolicy = {
      mode: 'enforce',
      rules: {
        orders_per_customer: { limit: 1, action: 'review' },
        new_account_amount: { limit: 1, action: 'review' },
      },
    };
    expect(screen({ ...ordinary, ordersLastHour: 1, confirmedOrders: 0 }, reviews).rule).toBe(
      'orders_per_customer',
    );
  });

  it('never fire a rule the policy leaves out or limits at 0', () => {
    const none: FraudPolicy = {
      mode: 'enforce',
      rules: { declines_per_customer: { limit: 0, action: 'block' } },
    };
    expect(screen({ ...ordinary, declinesLast10Minutes: 100, ordersLastHour: 100 }, none).decision).toBe(
      'allow',
    );
  });
});

describe('what a customer reads of the decisions', () => {
  it('leaves out the rule, the measures and the shadow decision, and the client key of a placement', () => {
    const screened = {
      orderId: 'o-1',
      decision: 'block',
      rule: 'declines_per_customer',
      enforced: false,
      measures: { declinesLast10Minutes: 3 },
      at: '2026-01-01T00:00:00.000Z',
    };
    expect(customerData('OrderScreened', screened)).toEqual({
      orderId: 'o-1',
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(customerData('OrderReviewed', { orderId: 'o-1', decision: 'reject', at: 'x' })).toEqual({
      orderId: 'o-1',
      at: 'x',
    });
    expect(customerData('OrderPlaced', { orderId: 'o-1', customerId: 'c', clientKey: 'k' })).toEqual({
      orderId: 'o-1',
      customerId: 'c',
    });
    const cancelled = { orderId: 'o-1', reason: 'fraud_suspected', at: 'x' };
    expect(customerData('OrderCancelled', cancelled)).toBe(cancelled);
  });
});

describe('the client address an order keeps', () => {
  const key = clientAddressKey('a-secret-that-is-long-enough-for-the-test');

  it('is a keyed hash: the same for one address, another for another address or another secret', () => {
    const one = key('203.0.113.7');
    expect(one).toMatch(/^[\w-]{32}$/);
    expect(one).not.toContain('203');
    expect(key('203.0.113.7')).toBe(one);
    expect(key('::ffff:203.0.113.7')).toBe(one);
    expect(key('203.0.113.8')).not.toBe(one);
    expect(clientAddressKey('another-secret-that-is-long-enough')('203.0.113.7')).not.toBe(one);
  });

  it('counts an IPv6 address by its /64', () => {
    expect(key('2001:db8:1:2:aaaa::1')).toBe(key('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(key('2001:db8:1:3::1')).not.toBe(key('2001:db8:1:2::1'));
  });

  it('keeps nothing for loopback (this machine) or what is not an address', () => {
    expect(key('127.0.0.1')).toBeUndefined();
    expect(key('::1')).toBeUndefined();
    expect(key('::ffff:127.0.0.1')).toBeUndefined();
    expect(key('not an address')).toBeUndefined();
  });
});
