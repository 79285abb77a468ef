import Stripe from 'stripe';

export type WebhookRejection =
  'missing_secret' | 'missing_header' | 'bad_signature' | 'stale_timestamp' | 'malformed_payload';

/** An incoming webhook that must not be trusted. The HTTP route answers 400 and records nothing. */
export class WebhookSignatureError extends Error {
  readonly reason: WebhookRejection;
  constructor(reason: WebhookRejection, message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
    this.reason = reason;
  }
}

export type WebhookVerificationOptions = {
  /** Oldest acceptable signature, in seconds; 0 turns the age check off. Default: the SDK's (300 s). */
  toleranceSeconds?: number;
  /** When the webhook arrived, in epoch milliseconds. Default: now. */
  receivedAt?: number;
};

/**
 * Checks the `Stripe-Signature` header over the RAW request body (not a re-serialised JSON object)
 * and returns the event. Throws `WebhookSignatureError` saying why it was refused.
 */
export function verifyStripeWebhook(
  rawBody: string | Buffer,
  signatureHeader: string | undefined,
  secret: string,
  options: WebhookVerificationOptions = {},
): Stripe.Event {
  if (!secret) throw new WebhookSignatureError('missing_secret', 'no webhook signing secret is configured');
  if (!signatureHeader) {
    throw new WebhookSignatureError('missing_header', 'the Stripe-Signature header is missing');
  }
  const { webhooks, errors } = Stripe;
  const tolerance = options.toleranceSeconds ?? webhooks.DEFAULT_TOLERANCE;
  // Twice: first the signature alone (tolerance 0 skips the clock), then its age, so the reason is
  // known without parsing the SDK's messages.
  try {
    webhooks.constructEvent(rawBody, signatureHeader, secret, 0);
  } catch (error) {
    if (error instanceof errors.StripeSignatureVerificationError) {
      throw new WebhookSignatureError('bad_signature', 'the webhook signature does not match its body');
    }
    throw new WebhookSignatureError('malformed_payload', 'the signed webhook body is not a Stripe event');
  }
  try {
    return webhooks.constructEvent(
      rawBody,
      signatureHeader,
      secret,
      tolerance,
      undefined,
      options.receivedAt,
    );
  } catch {
    throw new WebhookSignatureError('stale_timestamp', `the webhook signature is older than ${tolerance} s`);
  }
}

/** What a Stripe webhook tells the checkout saga, in the port's words. `gatewayRef` is the PaymentIntent id. */
export type GatewayPaymentEvent = {
  kind: 'authorized' | 'captured' | 'failed' | 'voided' | 'refunded';
  gatewayRef: string;
  orderId?: string;
};

/** The events we act on; anything else (and any event without an intent) gives `undefined`. */
export function toGatewayPaymentEvent(event: Stripe.Event): GatewayPaymentEvent | undefined {
  switch (event.type) {
    case 'payment_intent.amount_capturable_updated':
      return fromIntent('authorized', event.data.object);
    case 'payment_intent.succeeded':
      return fromIntent('captured', event.data.object);
    case 'payment_intent.payment_failed':
      return fromIntent('failed', event.data.object);
    case 'payment_intent.canceled':
      return fromIntent('voided', event.data.object);
    case 'charge.refunded': {
      const charge = event.data.object;
      const intent = charge.payment_intent;
      const gatewayRef = typeof intent === 'string' ? intent : intent?.id;
      return gatewayRef ? withOrder({ kind: 'refunded', gatewayRef }, charge.metadata) : undefined;
    }
    default:
      return undefined;
  }
}

function fromIntent(
  kind: GatewayPaymentEvent['kind'],
  intent: Stripe.PaymentIntent,
): GatewayPaymentEvent | undefined {
  return typeof intent.id === 'string' && intent.id !== ''
    ? withOrder({ kind, gatewayRef: intent.id }, intent.metadata)
    : undefined;
}

function withOrder(
  event: GatewayPaymentEvent,
  metadata: Stripe.Metadata | null | undefined,
): GatewayPaymentEvent {
  const orderId = metadata?.['orderId'];
  return typeof orderId === 'string' && orderId !== '' ? { ...event, orderId } : event;
}
