import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CardNumberRejectedError,
  GatewayError,
  type Authorization,
  type AuthorizeRequest,
  type PaymentGateway,
} from '../../src/payments/payment-gateway.ts';

export type GatewaySubject = { gateway: PaymentGateway; dispose(): Promise<void> };

const run = randomBytes(4).toString('hex');
let counter = 0;
/** A key (or order id) no other test and no earlier run has used. */
export const unique = (prefix: string) => `${prefix}-${run}-${counter++}`;

export const usd = (amount: number) => ({ amount, currency: 'USD' });

export function authorizeRequest(overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest {
  return {
    orderId: unique('order'),
    amount: usd(1999),
    paymentMethod: 'pm_card_visa',
    idempotencyKey: unique('authorize'),
    ...overrides,
  };
}

export async function authorized(
  gateway: PaymentGateway,
  overrides: Partial<AuthorizeRequest> = {},
): Promise<string> {
  const result = await gateway.authorize(authorizeRequest(overrides));
  if (result.status !== 'authorized') {
    throw new Error(`expected an authorization, got ${JSON.stringify(result)}`);
  }
  return result.gatewayRef;
}

/**
 * What every payment gateway adapter does, as far as every backing server can show it. stripe-mock
 * keeps no state and ignores idempotency keys, so replays are checked here only for the answer they
 * give; that a replay creates nothing new is checked on the simulator (simulated-gateway.spec.ts).
 */
export function paymentGatewayContract(name: string, open: () => Promise<GatewaySubject>) {
  describe(`payment gateway contract: ${name}`, () => {
    let subject: GatewaySubject;
    let gateway: PaymentGateway;
    beforeAll(async () => {
      subject = await open();
      gateway = subject.gateway;
    });
    afterAll(() => subject?.dispose());

    describe('authorize', () => {
      it.each(['pm_card_visa', 'pm_card_mastercard', 'pm_card_amex'])(
        'holds the funds of %s',
        async (paymentMethod) => {
          const result = await gateway.authorize(authorizeRequest({ paymentMethod }));
          expect(result).toEqual({ status: 'authorized', gatewayRef: expect.stringMatching(/^pi_\w+$/) });
        },
      );

      it.each([
        ['pm_card_chargeDeclined', 'generic_decline'],
        ['pm_card_visa_chargeDeclined', 'generic_decline'],
        ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
      ])('declines %s with the reason %s', async (paymentMethod, reason) => {
        const result = await gateway.authorize(authorizeRequest({ paymentMethod }));
        expect(result).toEqual({ status: 'declined', reason });
      });

      it('gives two orders two different gateway references', async () => {
        const [first, second] = await Promise.all([authorized(gateway), authorized(gateway)]);
        expect(first).not.toBe(second);
      });

      it('answers a repeated request with the same key the same way', async () => {
        const approve = authorizeRequest();
        const decline = authorizeRequest({ paymentMethod: 'pm_card_chargeDeclined' });
        const answers: Authorization[] = [];
        for (const request of [approve, approve, decline, decline])
          answers.push(await gateway.authorize({ ...request }));
        expect(answers.map((a) => a.status)).toEqual(['authorized', 'authorized', 'declined', 'declined']);
        expect(answers[3]).toEqual(answers[2]);
      });

      it('accepts our customer id alongside the order', async () => {
        const result = await gateway.authorize(authorizeRequest({ customerId: unique('customer') }));
        expect(result.status).toBe('authorized');
      });
    });

    describe('capture, void, refund', () => {
      it('captures an authorization, and again with the same key', async () => {
        const ref = await authorized(gateway);
        const key = unique('capture');
        await expect(gateway.capture(ref, key)).resolves.toBeUndefined();
        await expect(gateway.capture(ref, key)).resolves.toBeUndefined();
      });

      it('voids an uncaptured authorization, and again with the same key', async () => {
        const ref = await authorized(gateway);
        const key = unique('void');
        await expect(gateway.voidAuthorization(ref, key)).resolves.toBeUndefined();
        await expect(gateway.voidAuthorization(ref, key)).resolves.toBeUndefined();
      });

      it('refunds part of a captured payment, then the rest, each replayable with its key', async () => {
        const ref = await authorized(gateway, { amount: usd(2500) });
        await gateway.capture(ref, unique('capture'));
        const part = unique('refund');
        await expect(gateway.refund(ref, usd(1000), part)).resolves.toBeUndefined();
        await expect(gateway.refund(ref, usd(1000), part)).resolves.toBeUndefined();
        await expect(gateway.refund(ref, usd(1500), unique('refund'))).resolves.toBeUndefined();
      });
    });

    describe('refuses bad requests before they reach the gateway', () => {
      it.each([
        '4242424242424242',
        '4000 0566 5566 5556',
        '3782-822463-10005',
        'pm_4111111111111111',
        '4242.4242.4242.4242',
        '123456789012',
      ])(
        'a card number or anything else that is not a token (%s), without repeating it',
        async (cardNumber) => {
          const error = await gateway
            .authorize(authorizeRequest({ paymentMethod: cardNumber }))
            .catch((e: unknown) => e);
          expect(error).toBeInstanceOf(CardNumberRejectedError);
          const digits = cardNumber.replace(/\D/g, '');
          const shown = `${String(error)} ${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`;
          expect(shown.replace(/[\s-]/g, '')).not.toContain(digits.slice(-10));
        },
      );

      it('a call without an idempotency key', async () => {
        const ref = await authorized(gateway);
        const refused = [
          gateway.authorize(authorizeRequest({ idempotencyKey: '' })),
          gateway.capture(ref, ''),
          gateway.voidAuthorization(ref, '  '),
          gateway.refund(ref, usd(100), ''),
        ];
        for (const call of refused) {
          await expect(call).rejects.toMatchObject({ code: 'invalid_request', retryable: false });
        }
      });

      it.each([
        ['a fractional amount', { amount: 19.99, currency: 'USD' }],
        ['a zero amount', { amount: 0, currency: 'USD' }],
        ['a lower-case currency', { amount: 1999, currency: 'usd' }],
      ])('%s', async (_label, amount) => {
        const error = await gateway.authorize(authorizeRequest({ amount })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GatewayError);
        expect(error).toMatchObject({ code: 'invalid_request', retryable: false });
      });
    });
  });
}
