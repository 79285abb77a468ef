import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { paymentDecider, type PaymentCommand, type PaymentEvent } from '../../src/domain/payment/index.ts';

const orderId = 'order-1';
const at = '2025-11-28T09:00:00.000Z';
const eur = (amount: number) => ({ amount, currency: 'EUR' });

const command: fc.Arbitrary<PaymentCommand> = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((attempt): PaymentCommand => ({
    type: 'RequestPayment',
    data: {
      orderId,
      amount: eur(3048),
      paymentMethod: 'pm_card_visa',
      idempotencyKey: `${orderId}-${attempt}`,
      attempt,
      at,
    },
  })),
  fc.constantFrom('pi_1', 'pi_2').map((gatewayRef): PaymentCommand => ({
    type: 'RecordAuthorization',
    data: { orderId, gatewayRef, amount: eur(3048), at },
  })),
  fc.constant<PaymentCommand>({
    type: 'RecordPaymentFailure',
    data: { orderId, reason: 'card_declined', at },
  }),
  fc.constant<PaymentCommand>({ type: 'RecordCapture', data: { orderId, at } }),
  fc.constant<PaymentCommand>({ type: 'RecordVoid', data: { orderId, reason: 'reservation_expired', at } }),
  fc
    .integer({ min: 1, max: 2000 })
    .map((amount): PaymentCommand => ({ type: 'RecordRefund', data: { orderId, amount: eur(amount), at } })),
);

describe('payment properties, for any sequence of commands', () => {
  it('never authorizes or captures one order twice, and never refunds more than was captured', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 30, size: 'max' }), (commands) => {
        let state = paymentDecider.initialState();
        const log: PaymentEvent[] = [];
        for (const next of commands) {
          const result = paymentDecider.decide(next, state);
          if (!isRight(result)) continue;
          for (const event of result.right) {
            state = paymentDecider.evolve(state, event);
            log.push(event);
          }
        }
        const count = (type: PaymentEvent['type']) => log.filter((e) => e.type === type).length;
        expect(count('PaymentAuthorized')).toBeLessThanOrEqual(1);
        expect(count('PaymentCaptured')).toBeLessThanOrEqual(1);
        expect(count('PaymentCaptured') + count('PaymentVoided')).toBeLessThanOrEqual(1);
        const refunded = log.reduce(
          (sum, e) => sum + (e.type === 'PaymentRefunded' ? e.data.amount.amount : 0),
          0,
        );
        expect(refunded).toBeLessThanOrEqual(count('PaymentCaptured') * 3048);
        // A new attempt starts only after the previous one was answered with a failure.
        log.forEach((event, i) => {
          if (event.type === 'PaymentRequested' && i > 0) expect(log[i - 1]?.type).toBe('PaymentFailed');
        });
      }),
      { numRuns: 1000 },
    );
  });
});
