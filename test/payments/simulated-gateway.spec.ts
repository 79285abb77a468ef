import { describe, expect, it } from 'vitest';
import {
  CardNumberRejectedError,
  GatewayTimeoutError,
  IdempotencyKeyReuseError,
  PaymentStateError,
} from '../../src/payments/payment-gateway.ts';
import { SimulatedGateway } from '../../src/payments/simulated-gateway.ts';
import { authorized, authorizeRequest, paymentGatewayContract, unique, usd } from './contract.ts';

paymentGatewayContract('simulated', async () => ({
  gateway: new SimulatedGateway(),
  dispose: async () => {},
}));

// What only the simulator can show: stripe-mock keeps no state, so these are its promises alone.
describe('simulated gateway', () => {
  const fast = () => new SimulatedGateway({ timeoutMs: 150, slowMs: 40 });

  describe('idempotency', () => {
    it('replays an authorization with the same key: same reference, nothing new in the ledger', async () => {
      const gateway = fast();
      const request = authorizeRequest();
      const first = await gateway.authorize(request);
      const again = await gateway.authorize({ ...request, amount: { ...request.amount } });
      expect(again).toEqual(first);
      expect(gateway.ledger().authorizations).toHaveLength(1);
    });

    it('creates one authorization for concurrent requests with one key', async () => {
      const gateway = fast();
      const request = authorizeRequest({ paymentMethod: 'pm_sim_slow' });
      const answers = await Promise.all(Array.from({ length: 5 }, () => gateway.authorize(request)));
      expect(new Set(answers.map((a) => (a.status === 'authorized' ? a.gatewayRef : a.reason))).size).toBe(1);
      expect(gateway.ledger().authorizations).toHaveLength(1);
    });

    it('refuses a key reused for a different request', async () => {
      const gateway = fast();
      const request = authorizeRequest();
      await gateway.authorize(request);
      await expect(gateway.authorize({ ...request, amount: usd(1) })).rejects.toBeInstanceOf(
        IdempotencyKeyReuseError,
      );
      const ref = await authorized(gateway);
      await expect(gateway.capture(ref, request.idempotencyKey)).rejects.toMatchObject({
        code: 'idempotency_key_reused',
      });
      expect(gateway.ledger().capturesByRef[ref]).toBe(0);
    });

    it('replays a refusal with the same key as the same refusal', async () => {
      const gateway = fast();
      const ref = await authorized(gateway);
      await gateway.voidAuthorization(ref, unique('void'));
      const key = unique('capture');
      const first = await gateway.capture(ref, key).catch((e: unknown) => e);
      const again = await gateway.capture(ref, key).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(PaymentStateError);
      expect(again).toBe(first);
    });
  });

  describe('captured at most once', () => {
    it('counts one capture for a capture replayed with its key', async () => {
      const gateway = fast();
      const ref = await authorized(gateway);
      const key = unique('capture');
      await gateway.capture(ref, key);
      await gateway.capture(ref, key);
      expect(gateway.ledger().capturesByRef[ref]).toBe(1);
    });

    it('refuses a second capture with another key and still counts one', async () => {
      const gateway = fast();
      const request = authorizeRequest();
      const ref = await authorized(gateway, request);
      await gateway.capture(ref, unique('capture'));
      await expect(gateway.capture(ref, unique('capture'))).rejects.toBeInstanceOf(PaymentStateError);
      const ledger = gateway.ledger();
      expect(ledger.capturesByRef[ref]).toBe(1);
      expect(ledger.capturesByOrder[request.orderId]).toBe(1);
      expect(ledger.authorizations[0]).toMatchObject({ gatewayRef: ref, status: 'captured', captures: 1 });
    });

    it('captures once when many workers race with different keys', async () => {
      const gateway = new SimulatedGateway({ latencyMs: 5 });
      const ref = await authorized(gateway);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => gateway.capture(ref, unique('capture'))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(gateway.ledger().capturesByRef[ref]).toBe(1);
    });

    it('neither captures a voided authorization nor voids a captured one', async () => {
      const gateway = fast();
      const voided = await authorized(gateway);
      await gateway.voidAuthorization(voided, unique('void'));
      await expect(gateway.capture(voided, unique('capture'))).rejects.toBeInstanceOf(PaymentStateError);
      const captured = await authorized(gateway);
      await gateway.capture(captured, unique('capture'));
      await expect(gateway.voidAuthorization(captured, unique('void'))).rejects.toBeInstanceOf(
        PaymentStateError,
      );
      const statuses = Object.fromEntries(
        gateway.ledger().authorizations.map((a) => [a.gatewayRef, a.status]),
      );
      expect(statuses).toEqual({ [voided]: 'voided', [captured]: 'captured' });
      expect(gateway.ledger().capturesByRef).toEqual({ [voided]: 0, [captured]: 1 });
    });

    it('reports an unknown gateway reference as not found', async () => {
      await expect(fast().capture('pi_sim_missing', unique('capture'))).rejects.toMatchObject({
        code: 'not_found',
      });
    });
  });

  describe('refunds', () => {
    it('tracks partial and full refunds in the ledger', async () => {
      const gateway = fast();
      const ref = await authorized(gateway, { amount: usd(3000) });
      await gateway.capture(ref, unique('capture'));
      await gateway.refund(ref, usd(1000), unique('refund'));
      expect(gateway.ledger().authorizations[0]).toMatchObject({ status: 'captured', refunded: 1000 });
      await gateway.refund(ref, usd(2000), unique('refund'));
      expect(gateway.ledger().authorizations[0]).toMatchObject({
        status: 'refunded',
        refunded: 3000,
        captures: 1,
      });
    });

    it('refunds a replayed refund once', async () => {
      const gateway = fast();
      const ref = await authorized(gateway, { amount: usd(3000) });
      await gateway.capture(ref, unique('capture'));
      const key = unique('refund');
      await gateway.refund(ref, usd(1000), key);
      await gateway.refund(ref, usd(1000), key);
      expect(gateway.ledger().authorizations[0]?.refunded).toBe(1000);
    });

    it('refuses to refund what was not captured, more than was captured, or in another currency', async () => {
      const gateway = fast();
      const ref = await authorized(gateway, { amount: usd(3000) });
      await expect(gateway.refund(ref, usd(100), unique('refund'))).rejects.toBeInstanceOf(PaymentStateError);
      await gateway.capture(ref, unique('capture'));
      await expect(gateway.refund(ref, usd(3001), unique('refund'))).rejects.toMatchObject({
        code: 'invalid_request',
      });
      await expect(
        gateway.refund(ref, { amount: 100, currency: 'EUR' }, unique('refund')),
      ).rejects.toMatchObject({
        code: 'invalid_request',
      });
      expect(gateway.ledger().authorizations[0]?.refunded).toBe(0);
    });
  });

  describe('test cards', () => {
    it('times out on pm_sim_timeout after timeoutMs, retryable, and creates nothing', async () => {
      const gateway = fast();
      const request = authorizeRequest({ paymentMethod: 'pm_sim_timeout' });
      const started = performance.now();
      const error = await gateway.authorize(request).catch((e: unknown) => e);
      const waited = performance.now() - started;
      expect(error).toBeInstanceOf(GatewayTimeoutError);
      expect(error).toMatchObject({ code: 'timeout', retryable: true });
      expect(waited).toBeGreaterThanOrEqual(140);
      expect(waited).toBeLessThan(1_000);
      await expect(gateway.authorize(request)).rejects.toBeInstanceOf(GatewayTimeoutError);
      expect(gateway.ledger().authorizations).toHaveLength(0);
    });

    it('answers pm_sim_slow after slowMs, within the timeout', async () => {
      const gateway = new SimulatedGateway({ timeoutMs: 1_000, slowMs: 120 });
      const started = performance.now();
      const result = await gateway.authorize(authorizeRequest({ paymentMethod: 'pm_sim_slow' }));
      expect(result.status).toBe('authorized');
      expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    });

    it('defaults pm_sim_slow to about 300 ms', async () => {
      const started = performance.now();
      await new SimulatedGateway().authorize(authorizeRequest({ paymentMethod: 'pm_sim_slow' }));
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    });

    it('still makes a slow authorization that timed out; the retry with the same key finds it', async () => {
      const gateway = new SimulatedGateway({ timeoutMs: 50, slowMs: 120 });
      const request = authorizeRequest({ paymentMethod: 'pm_sim_slow' });
      await expect(gateway.authorize(request)).rejects.toBeInstanceOf(GatewayTimeoutError);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const retried = await gateway.authorize(request);
      expect(retried.status).toBe('authorized');
      expect(gateway.ledger().authorizations).toHaveLength(1);
    });

    it.each([
      ['pm_card_chargeDeclinedLostCard', 'lost_card'],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
      ['pm_card_authenticationRequired', 'authentication_required'],
      ['pm_card_unknownBehaviour', 'unknown_payment_method'],
      ['tok_visa', 'unknown_payment_method'],
      ['123456789012', 'unknown_payment_method'],
    ])('declines %s with %s', async (paymentMethod, reason) => {
      const gateway = fast();
      expect(await gateway.authorize(authorizeRequest({ paymentMethod }))).toEqual({
        status: 'declined',
        reason,
      });
      expect(gateway.ledger().authorizations).toHaveLength(0);
    });

    it('refuses a card number with a typed error that never contains it, and records nothing', async () => {
      const gateway = fast();
      const cardNumber = '4242424242424242';
      const error = await gateway
        .authorize(authorizeRequest({ paymentMethod: cardNumber }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CardNumberRejectedError);
      expect(error).toMatchObject({ code: 'card_number_rejected', retryable: false });
      expect(`${(error as Error).message} ${(error as Error).stack}`).not.toContain(cardNumber);
      expect(JSON.stringify(gateway.ledger())).not.toContain(cardNumber);
      expect(gateway.ledger().authorizations).toHaveLength(0);
    });
  });

  it('adds latencyMs to every call', async () => {
    const gateway = new SimulatedGateway({ latencyMs: 60 });
    let started = performance.now();
    const ref = await authorized(gateway);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    started = performance.now();
    await gateway.capture(ref, unique('capture'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('numbers gateway references deterministically', async () => {
    const refs = async () => {
      const gateway = fast();
      return [await authorized(gateway), await authorized(gateway)];
    };
    expect(await refs()).toEqual(await refs());
  });
});
