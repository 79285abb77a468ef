import { describe, expect, it } from 'vitest';
import type { CustomerFacts, FraudDecision, FraudPolicy } from '../../src/domain/fraud/index.ts';
import { decide } from '../../src/sagas/checkout/decide.ts';
import type { CheckoutInput, CheckoutSettings, Decision } from '../../src/sagas/checkout/decisions.ts';
import { evolve, initialState, type CheckoutEvent } from '../../src/sagas/checkout/state.ts';

// The checkout process's fraud step, decision by decision: given the order's and payment's streams,
// when the saga resumes or the read model answers, then the commands it sends (each naming its cause)
// and what it does next. The step comes before the first reservation, and only when the rules are on.

const enforced: FraudPolicy = {
  mode: 'enforce',
  rules: {
    declines_per_customer: { limit: 3, action: 'block' },
    orders_per_customer: { limit: 20, action: 'review' },
  },
};
const withRules = (fraud: FraudPolicy | undefined): CheckoutSettings => ({
  reservationTtlMs: 10 * 60_000,
  unknownAnswerGraceMs: 60_000,
  ...(fraud ? { fraud } : {}),
});

const given = (...history: CheckoutEvent[]) => ({
  when: (input: CheckoutInput, settings = withRules(enforced)) => ({
    then: (expected: Decision) =>
      expect(decide(input, history.reduce(evolve, initialState()), settings)).toEqual(expected),
  }),
});

const orderId = 'order-1';
const placedAt = '2026-01-01T00:00:00.000Z';
const at = '2026-01-01T00:00:01.000Z';
const usd = (amount: number) => ({ amount, currency: 'USD' });

const event = (eventId: string, type: string, data: Record<string, unknown>): CheckoutEvent => ({
  eventId,
  type,
  data: { orderId, ...data },
});
const placed = event('placed', 'OrderPlaced', {
  customerId: 'customer-1',
  lines: [
    { sku: 'A', quantity: 1, unitPrice: usd(100), lineTotal: usd(100) },
    { sku: 'B', quantity: 2, unitPrice: usd(100), lineTotal: usd(200) },
  ],
  total: usd(300),
  paymentMethod: 'pm_card_visa',
  placedAt,
  clientKey: 'k3yed-hash-of-an-address',
});
const screened = (decision: string, rule: string | null, isEnforced = true) =>
  event('screened', 'OrderScreened', { decision, rule, enforced: isEnforced, measures: {}, at });
const reviewed = (decision: string) => event('reviewed', 'OrderReviewed', { decision, at });
const cancelled = event('cancelled', 'OrderCancelled', { reason: 'fraud_suspected', at });
const lineReserved = event('line-A', 'OrderLineReserved', { sku: 'A', quantity: 1, at });

const resume: CheckoutInput = { type: 'Resume', at };
const facts = (changes: Partial<CustomerFacts> = {}): CustomerFacts => ({
  declinesLast10Minutes: 0,
  ordersLastHour: 0,
  ordersFromAddressLastHour: 0,
  paymentMethodsLastDay: 1,
  confirmedOrders: 1,
  orderAmount: 300,
  ...changes,
});
const answered = (changes: Partial<CustomerFacts> = {}): CheckoutInput => ({
  type: 'ScreeningAnswered',
  at,
  facts: facts(changes),
});
const screenOrder = (
  decision: FraudDecision,
  rule: string | null,
  answer: CustomerFacts,
  isEnforced = true,
) => ({
  to: 'order' as const,
  command: {
    type: 'ScreenOrder' as const,
    data: { orderId, decision, rule, enforced: isEnforced, measures: { ...answer }, at },
  },
  causationId: 'placed',
});
const reserve = (sku: string, quantity: number) => ({
  send: [],
  then: {
    kind: 'reserve' as const,
    send: {
      to: 'inventory' as const,
      sku,
      command: {
        type: 'ReserveStock' as const,
        data: { sku, reservationId: orderId, quantity, now: at, expiresAt: '2026-01-01T00:10:01.000Z' },
      },
      causationId: 'placed',
    },
  },
  step: 'reserve' as const,
});

describe('the checkout process screens a placed order before it reserves anything', () => {
  it('asks what the read model knows of the customer up to the order, because it was placed', () => {
    given(placed)
      .when(resume)
      .then({
        send: [],
        then: {
          kind: 'screen',
          request: {
            orderId,
            customerId: 'customer-1',
            clientKey: 'k3yed-hash-of-an-address',
            paymentMethod: 'pm_card_visa',
            amount: usd(300),
            placedAt,
          },
        },
        step: 'screen',
      });
  });

  it('reserves at once when the rules are off (FRAUD_RULES=off)', () => {
    given(placed).when(resume, withRules(undefined)).then(reserve('A', 1));
  });

  it("records an allow for an ordinary shopper's facts, because the order was placed", () => {
    given(placed)
      .when(answered())
      .then({
        send: [screenOrder('allow', null, facts())],
        reached: 'after-screening',
        then: { kind: 'resume' },
      });
  });

  it('records a block after three declines in 10 minutes', () => {
    given(placed)
      .when(answered({ declinesLast10Minutes: 3 }))
      .then({
        send: [screenOrder('block', 'declines_per_customer', facts({ declinesLast10Minutes: 3 }))],
        reached: 'after-screening',
        then: { kind: 'resume' },
      });
  });

  it('records a review for the 21st order in an hour', () => {
    given(placed)
      .when(answered({ ordersLastHour: 20 }))
      .then({
        send: [screenOrder('review', 'orders_per_customer', facts({ ordersLastHour: 20 }))],
        reached: 'after-screening',
        then: { kind: 'resume' },
      });
  });

  it('records the decision as not enforced in shadow mode', () => {
    given(placed)
      .when(answered({ declinesLast10Minutes: 5 }), withRules({ ...enforced, mode: 'shadow' }))
      .then({
        send: [screenOrder('block', 'declines_per_customer', facts({ declinesLast10Minutes: 5 }), false)],
        reached: 'after-screening',
        then: { kind: 'resume' },
      });
  });

  it('records nothing for an answer that comes after the rules were turned off', () => {
    given(placed)
      .when(answered(), withRules(undefined))
      .then({ send: [], then: { kind: 'resume' } });
  });
});

describe('the checkout process after the decision', () => {
  it('reserves the first line of an allowed order, because it was placed', () => {
    given(placed, screened('allow', null)).when(resume).then(reserve('A', 1));
  });

  it('goes on with an order a shadow decision would have refused', () => {
    given(placed, screened('block', 'declines_per_customer', false))
      .when(resume)
      .then(reserve('A', 1));
  });

  it('has nothing to do for an order held for review: it waits for an admin', () => {
    given(placed, screened('review', 'orders_per_customer'))
      .when(resume)
      .then({ send: [], then: { kind: 'done' }, step: 'done' });
  });

  it('reserves once an admin approved the order', () => {
    given(placed, screened('review', 'orders_per_customer'), reviewed('approve'))
      .when(resume)
      .then(reserve('A', 1));
  });

  it('gives back whatever a refused order might hold, because it was cancelled', () => {
    const release = (sku: string) => ({
      to: 'inventory' as const,
      sku,
      command: {
        type: 'ReleaseReservation' as const,
        data: { reservationId: orderId, reason: 'fraud_suspected', now: at },
      },
      causationId: 'cancelled',
    });
    given(placed, screened('block', 'declines_per_customer'), cancelled)
      .when(resume)
      .then({ send: [], then: { kind: 'release', sends: [release('A'), release('B')] }, step: 'compensate' });
  });

  it('does not screen an order it began before the rules were turned on', () => {
    given(placed, lineReserved)
      .when(resume)
      .then({ ...reserve('B', 2), then: { ...reserve('B', 2).then } });
  });
});
