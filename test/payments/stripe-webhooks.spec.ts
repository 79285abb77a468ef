import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  toGatewayPaymentEvent,
  verifyStripeWebhook,
  WebhookSignatureError,
} from '../../src/payments/stripe-webhooks.ts';

const secret = 'whsec_test_payments_suite';
const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
  Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? secret,
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
  });

function event(type: string, object: Record<string, unknown>): string {
  return JSON.stringify({
    id: 'evt_1',
    object: 'event',
    api_version: '2025-01-01',
    created: 1,
    type,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: null,
  });
}

const intent = (id: string, metadata: Record<string, string> = { orderId: 'order-1' }) => ({
  id,
  object: 'payment_intent',
  metadata,
});

function rejection(run: () => unknown): WebhookSignatureError['reason'] | 'accepted' {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (error instanceof WebhookSignatureError) return error.reason;
    throw error;
  }
}

describe('verifyStripeWebhook', () => {
  const body = event('payment_intent.succeeded', intent('pi_1'));

  it('accepts a correctly signed body and returns the event', () => {
    const verified = verifyStripeWebhook(body, sign(body), secret);
    expect(verified.type).toBe('payment_intent.succeeded');
    expect(verified.id).toBe('evt_1');
  });

  it('accepts the raw body as a Buffer', () => {
    expect(verifyStripeWebhook(Buffer.from(body), sign(body), secret).type).toBe('payment_intent.succeeded');
  });

  it('rejects a tampered body', () => {
    const tampered = body.replace('pi_1', 'pi_2');
    expect(rejection(() => verifyStripeWebhook(tampered, sign(body), secret))).toBe('bad_signature');
  });

  it('rejects a re-serialised body, which is why the route must pass the raw bytes', () => {
    const reserialised = JSON.stringify(JSON.parse(body), null, 2);
    expect(rejection(() => verifyStripeWebhook(reserialised, sign(body), secret))).toBe('bad_signature');
  });

  it('rejects a body signed with another secret', () => {
    expect(
      rejection(() => verifyStripeWebhook(body, sign(body, { secret: 'whsec_someone_else' }), secret)),
    ).toBe('bad_signature');
  });

  it('rejects a missing or empty header', () => {
    expect(rejection(() => verifyStripeWebhook(body, undefined, secret))).toBe('missing_header');
    expect(rejection(() => verifyStripeWebhook(body, '', secret))).toBe('missing_header');
  });

  it('rejects a header that is not a Stripe signature', () => {
    expect(rejection(() => verifyStripeWebhook(body, 'garbage', secret))).toBe('bad_signature');
  });

  it('rejects a correctly signed body whose signature is too old', () => {
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    expect(rejection(() => verifyStripeWebhook(body, sign(body, { timestamp: tenMinutesAgo }), secret))).toBe(
      'stale_timestamp',
    );
  });

  it('accepts a signature within the tolerance, measured from when the webhook arrived', () => {
    const signedAt = Math.floor(Date.now() / 1000) - 600;
    const header = sign(body, { timestamp: signedAt });
    expect(rejection(() => verifyStripeWebhook(body, header, secret, { toleranceSeconds: 900 }))).toBe(
      'accepted',
    );
    expect(
      rejection(() => verifyStripeWebhook(body, header, secret, { receivedAt: (signedAt + 60) * 1000 })),
    ).toBe('accepted');
  });

  it('refuses to verify without a secret', () => {
    expect(rejection(() => verifyStripeWebhook(body, sign(body), ''))).toBe('missing_secret');
  });

  it('does not repeat the body or the header in its message', () => {
    const error = (() => {
      try {
        verifyStripeWebhook(body, sign(body, { secret: 'whsec_other' }), secret);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).not.toContain('pi_1');
    expect(error?.message).not.toContain('v1=');
  });
});

describe('toGatewayPaymentEvent', () => {
  const parse = (type: string, object: Record<string, unknown>) =>
    toGatewayPaymentEvent(JSON.parse(event(type, object)) as Stripe.Event);

  it.each([
    ['payment_intent.amount_capturable_updated', 'authorized'],
    ['payment_intent.succeeded', 'captured'],
    ['payment_intent.payment_failed', 'failed'],
    ['payment_intent.canceled', 'voided'],
  ] as const)('maps %s to %s with the intent and its order', (type, kind) => {
    expect(parse(type, intent('pi_9'))).toEqual({ kind, gatewayRef: 'pi_9', orderId: 'order-1' });
  });

  it('maps charge.refunded to the charge’s payment intent', () => {
    const charge = { id: 'ch_1', object: 'charge', payment_intent: 'pi_7', metadata: { orderId: 'order-7' } };
    expect(parse('charge.refunded', charge)).toEqual({
      kind: 'refunded',
      gatewayRef: 'pi_7',
      orderId: 'order-7',
    });
    const expanded = { ...charge, payment_intent: intent('pi_8'), metadata: {} };
    expect(parse('charge.refunded', expanded)).toEqual({ kind: 'refunded', gatewayRef: 'pi_8' });
  });

  it('leaves out orderId when the intent carries none', () => {
    expect(parse('payment_intent.succeeded', intent('pi_3', {}))).toEqual({
      kind: 'captured',
      gatewayRef: 'pi_3',
    });
  });

  it('ignores events we do not act on, and refunds of charges without an intent', () => {
    expect(parse('customer.created', { id: 'cus_1', object: 'customer' })).toBeUndefined();
    expect(parse('payment_intent.created', intent('pi_1'))).toBeUndefined();
    expect(
      parse('charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: null, metadata: {} }),
    ).toBeUndefined();
  });
});
