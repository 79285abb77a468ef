import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/decider.ts';
import {
  isGatewayToken,
  paymentDecider,
  type PaymentCommand,
  type PaymentEvent,
  type RequestPayment,
} from '../../src/domain/payment/index.ts';
import { specification } from './specification.ts';

const given = specification(paymentDecider);

const orderId = 'order-0193a1b2';
const at = '2025-11-28T09:00:05.000Z';
const eur = (amount: number) => ({ amount, currency: 'EUR' });

const requestPayment = (overrides: Partial<RequestPayment['data']> = {}): PaymentCommand => ({
  type: 'RequestPayment',
  data: {
    orderId,
    amount: eur(3048),
    paymentMethod: 'pm_card_visa',
    idempotencyKey: `${orderId}-1`,
    attempt: 1,
    at,
    ...overrides,
  },
});
const requested = (attempt = 1, paymentMethod = 'pm_card_visa'): PaymentEvent => ({
  type: 'PaymentRequested',
  data: { orderId, amount: eur(3048), paymentMethod, idempotencyKey: `${orderId}-${attempt}`, attempt, at },
});
const authorized = (gatewayRef = 'pi_123'): PaymentEvent => ({
  type: 'PaymentAuthorized',
  data: { orderId, gatewayRef, amount: eur(3048), at },
});
const failed = (attempt = 1): PaymentEvent => ({
  type: 'PaymentFailed',
  data: { orderId, attempt, reason: 'card_declined', at },
});
const captured: PaymentEvent = {
  type: 'PaymentCaptured',
  data: { orderId, gatewayRef: 'pi_123', amount: eur(3048), at },
};
const voided: PaymentEvent = {
  type: 'PaymentVoided',
  data: { orderId, gatewayRef: 'pi_123', reason: 'reservation_expired', at },
};
const refunded = (amount: number): PaymentEvent => ({
  type: 'PaymentRefunded',
  data: { orderId, amount: eur(amount), at },
});

const recordAuthorization = (gatewayRef = 'pi_123', amount = eur(3048)): PaymentCommand => ({
  type: 'RecordAuthorization',
  data: { orderId, gatewayRef, amount, at },
});
const recordFailure: PaymentCommand = {
  type: 'RecordPaymentFailure',
  data: { orderId, reason: 'card_declined', at },
};
const recordCapture: PaymentCommand = { type: 'RecordCapture', data: { orderId, at } };
const recordVoid: PaymentCommand = {
  type: 'RecordVoid',
  data: { orderId, reason: 'reservation_expired', at },
};
const recordRefund = (amount: number, currency = 'EUR'): PaymentCommand => ({
  type: 'RecordRefund',
  data: { orderId, amount: { amount, currency }, at },
});

describe('payment: requesting', () => {
  it('requests a payment with its idempotency key', () =>
    given([]).when(requestPayment()).then([requested()]));

  it('is idempotent: the same request again (a retry after a timeout) changes nothing', () =>
    given([requested()]).when(requestPayment()).thenNothingHappens());

  it('is idempotent even after the gateway answered', () =>
    given([requested(), authorized()]).when(requestPayment()).thenNothingHappens());

  it('refuses a new attempt while one has no answer yet', () =>
    given([requested()])
      .when(requestPayment({ idempotencyKey: `${orderId}-2`, attempt: 2 }))
      .thenFails('PaymentInProgress'));

  it('allows a new attempt, under a new key, after a failure', () =>
    given([requested(), failed()])
      .when(
        requestPayment({ idempotencyKey: `${orderId}-2`, attempt: 2, paymentMethod: 'pm_card_mastercard' }),
      )
      .then([requested(2, 'pm_card_mastercard')]));

  it('refuses a new attempt once authorized: never charged twice', () => {
    const next = requestPayment({ idempotencyKey: `${orderId}-2`, attempt: 2 });
    given([requested(), authorized()]).when(next).thenFails('PaymentAlreadyAuthorized');
    given([requested(), authorized(), captured]).when(next).thenFails('PaymentAlreadyAuthorized');
    given([requested(), authorized(), voided]).when(next).thenFails('PaymentAlreadyAuthorized');
  });

  it('refuses a key reused for another request', () => {
    given([requested()])
      .when(requestPayment({ amount: eur(1) }))
      .thenFails('IdempotencyKeyReused');
    given([requested(), failed()])
      .when(requestPayment({ attempt: 2 }))
      .thenFails('IdempotencyKeyReused');
    given([requested(1), failed(1), requested(2), failed(2)])
      .when(requestPayment({ idempotencyKey: `${orderId}-1`, attempt: 3 }))
      .thenFails('IdempotencyKeyReused');
  });

  it('refuses an attempt number already used', () =>
    given([requested(1), failed(1), requested(2), failed(2)])
      .when(requestPayment({ idempotencyKey: `${orderId}-x`, attempt: 2 }))
      .thenFails('StaleAttempt'));

  it('refuses a new attempt for another amount', () =>
    given([requested(), failed()])
      .when(requestPayment({ idempotencyKey: `${orderId}-2`, attempt: 2, amount: eur(100) }))
      .thenFails('AmountMismatch'));

  it('refuses a zero or fractional amount', () => {
    given([])
      .when(requestPayment({ amount: eur(0) }))
      .thenFails('InvalidCommandData');
    given([])
      .when(requestPayment({ amount: eur(30.48) }))
      .thenFails('InvalidCommandData');
  });

  it('refuses card numbers as the payment method, and never echoes them', () => {
    for (const paymentMethod of [
      '4242424242424242',
      '4242 4242 4242 4242',
      '3782-822463-10005',
      'card:5555555555554444',
      '4242.4242.4242.4242',
      '4242_4242_4242_4242',
      '4242/4242/4242/4242',
      '4242  4242  4242  4242',
      '４２４２４２４２４２４２４２４２',
      'pm_4242424242424242',
      'tok_4242_4242_4242_4242',
    ]) {
      given([]).when(requestPayment({ paymentMethod })).thenFails('CardDataNotAllowed');
      const result = paymentDecider.decide(requestPayment({ paymentMethod }), paymentDecider.initialState());
      expect(JSON.stringify(result)).not.toContain(paymentMethod);
    }
  });

  it('accepts gateway tokens as the payment method', () => {
    for (const token of [
      'pm_card_visa',
      'pm_1QxYzAbCdEf123456',
      'tok_chargeDeclined',
      'card_1Abc',
      'pm_sim_slow',
    ])
      expect(isGatewayToken(token)).toBe(true);
  });

  it('accepts only the shape of a gateway token, not anything that does not look like a card', () => {
    for (const other of [
      'visa',
      'pm_',
      'pm__visa',
      'PM_card_visa',
      'src_123',
      'pm_card visa',
      'pm_card_visa\n',
      '',
    ])
      expect(isGatewayToken(other)).toBe(false);
  });

  it('refuses a request for another order than the stream holds', () =>
    given([requested()])
      .when(requestPayment({ orderId: 'order-other' }))
      .thenFails('OrderIdMismatch'));
});

describe('payment: what the gateway answered', () => {
  it('records an authorization', () => given([requested()]).when(recordAuthorization()).then([authorized()]));

  it('is idempotent for the same authorization', () =>
    given([requested(), authorized()]).when(recordAuthorization()).thenNothingHappens());

  it('refuses a second, different authorization: a double charge to void at the gateway', () =>
    given([requested(), authorized()])
      .when(recordAuthorization('pi_456'))
      .thenFails('PaymentAlreadyAuthorized'));

  it('records a late authorization after a failure, so the money can be given back', () =>
    given([requested(), failed()]).when(recordAuthorization()).then([authorized()]));

  it('refuses an authorization of another amount', () =>
    given([requested()])
      .when(recordAuthorization('pi_123', eur(1)))
      .thenFails('AmountMismatch'));

  it('refuses an authorization nobody asked for', () =>
    given([]).when(recordAuthorization()).thenFails('PaymentNotRequested'));

  it('records a failure', () => given([requested()]).when(recordFailure).then([failed()]));

  it('is idempotent for a failure', () =>
    given([requested(), failed()]).when(recordFailure).thenNothingHappens());

  it('refuses a failure after an authorization', () =>
    given([requested(), authorized()]).when(recordFailure).thenFails('PaymentAlreadyAuthorized'));

  it('refuses a failure nobody asked for', () =>
    given([]).when(recordFailure).thenFails('PaymentNotRequested'));
});

describe('payment: capture and void', () => {
  it('captures an authorized payment', () =>
    given([requested(), authorized()]).when(recordCapture).then([captured]));

  it('is idempotent: a second capture changes nothing', () =>
    given([requested(), authorized(), captured]).when(recordCapture).thenNothingHappens());

  it('refuses a capture before authorization', () => {
    given([requested()]).when(recordCapture).thenFails('PaymentNotAuthorized');
    given([requested(), failed()]).when(recordCapture).thenFails('PaymentNotAuthorized');
    given([]).when(recordCapture).thenFails('PaymentNotRequested');
  });

  it('refuses to capture a voided payment', () =>
    given([requested(), authorized(), voided]).when(recordCapture).thenFails('PaymentAlreadyVoided'));

  it('voids an authorized payment', () => given([requested(), authorized()]).when(recordVoid).then([voided]));

  it('is idempotent: a second void changes nothing', () =>
    given([requested(), authorized(), voided]).when(recordVoid).thenNothingHappens());

  it('refuses to void a captured payment: it must be refunded', () =>
    given([requested(), authorized(), captured]).when(recordVoid).thenFails('PaymentAlreadyCaptured'));

  it('refuses to void what was never authorized', () =>
    given([requested()]).when(recordVoid).thenFails('PaymentNotAuthorized'));
});

describe('payment: refunds', () => {
  const paid = [requested(), authorized(), captured];

  it('refunds part of a captured payment', () =>
    given(paid)
      .when(recordRefund(1000))
      .then([refunded(1000)]));

  it('refunds all of it', () =>
    given(paid)
      .when(recordRefund(3048))
      .then([refunded(3048)]));

  it('refunds the rest after a partial refund', () =>
    given([...paid, refunded(1000)])
      .when(recordRefund(2048))
      .then([refunded(2048)]));

  it('refuses to refund more than was captured', () => {
    given(paid).when(recordRefund(3049)).thenFails('RefundExceedsCapture');
    given([...paid, refunded(1000)])
      .when(recordRefund(2049))
      .thenFails('RefundExceedsCapture');
    given([...paid, refunded(3048)])
      .when(recordRefund(1))
      .thenFails('RefundExceedsCapture');
  });

  it('refuses a refund before capture', () => {
    given([requested(), authorized()]).when(recordRefund(100)).thenFails('PaymentNotCaptured');
    given([requested(), authorized(), voided]).when(recordRefund(100)).thenFails('PaymentNotCaptured');
  });

  it('refuses a refund in another currency', () =>
    given(paid).when(recordRefund(100, 'USD')).thenFails('CurrencyMismatch'));

  it('refuses a zero refund', () => given(paid).when(recordRefund(0)).thenFails('InvalidCommandData'));

  it('marks the payment refunded once every unit went back', () => {
    expect(fold(paymentDecider, [...paid, refunded(1000)])).toMatchObject({
      status: 'captured',
      refundedAmount: 1000,
    });
    expect(fold(paymentDecider, [...paid, refunded(1000), refunded(2048)])).toMatchObject({
      status: 'refunded',
      refundedAmount: 3048,
    });
  });
});
