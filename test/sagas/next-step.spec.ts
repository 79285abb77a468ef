import { isLeft } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Decider, DomainCommand, DomainError, DomainEvent } from '../../src/domain/decider.ts';
import { orderDecider, type OrderState } from '../../src/domain/order/index.ts';
import { paymentDecider, type PaymentState } from '../../src/domain/payment/index.ts';
import { nextStep, paymentKey } from '../../src/sagas/checkout/next-step.ts';

// The saga records the last reservation and the payment request at once (two streams): a crash can
// leave either one out, and the next step must then be the one that is missing.

const at = '2026-01-01T00:00:00.000Z';
const orderId = 'order-1';

function fold<C extends DomainCommand, E extends DomainEvent, S, Err extends DomainError>(
  decider: Decider<C, E, S, Err>,
  commands: C[],
): S {
  let state = decider.initialState();
  for (const command of commands) {
    const decided = decider.decide(command, state);
    if (isLeft(decided)) throw new Error(decided.left.message);
    for (const event of decided.right) state = decider.evolve(state, event);
  }
  return state;
}

const line = (sku: string) => ({ sku, quantity: 1, unitPrice: { amount: 100, currency: 'USD' } });

const orderWithReserved = (reserved: string[]): OrderState =>
  fold(orderDecider, [
    {
      type: 'PlaceOrder',
      data: {
        orderId,
        customerId: 'c',
        lines: [line('A'), line('B')],
        paymentMethod: 'pm_card_visa',
        placedAt: at,
      },
    },
    ...reserved.map((sku) => ({
      type: 'RecordLineReserved' as const,
      data: { orderId, sku, quantity: 1, at },
    })),
  ]);

const notRequested: PaymentState = paymentDecider.initialState();
const requested: PaymentState = fold(paymentDecider, [
  {
    type: 'RequestPayment',
    data: {
      orderId,
      amount: { amount: 200, currency: 'USD' },
      paymentMethod: 'pm_card_visa',
      idempotencyKey: paymentKey(orderId, 1),
      attempt: 1,
      at,
    },
  },
]);

describe('the checkout saga picks its next step from the order and payment streams', () => {
  it('reserves lines in order, and requests the payment together with the last one', () => {
    expect(nextStep(orderWithReserved([]), notRequested)).toMatchObject({
      kind: 'reserve',
      line: { sku: 'A' },
      requestPayment: false,
    });
    expect(nextStep(orderWithReserved(['A']), notRequested)).toMatchObject({
      kind: 'reserve',
      line: { sku: 'B' },
      requestPayment: true,
    });
  });

  it('requests the payment when a crash left only the request out', () => {
    expect(nextStep(orderWithReserved(['A', 'B']), notRequested)).toMatchObject({
      kind: 'requestPayment',
      attempt: 1,
    });
  });

  it('records the last reservation again (a no-op for the stock) when a crash left only that out', () => {
    expect(nextStep(orderWithReserved(['A']), requested)).toMatchObject({
      kind: 'reserve',
      line: { sku: 'B' },
      requestPayment: false,
    });
    expect(nextStep(orderWithReserved(['A', 'B']), requested)).toMatchObject({
      kind: 'authorize',
      idempotencyKey: paymentKey(orderId, 1),
    });
  });
});
