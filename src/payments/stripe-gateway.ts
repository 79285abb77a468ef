import Stripe from 'stripe';
import {
  GatewayError,
  GatewayTimeoutError,
  IdempotencyKeyReuseError,
  PaymentStateError,
  type AuthorizeRequest,
  type Authorization,
  type Money,
  type PaymentGateway,
} from './payment-gateway.ts';
import {
  assertAuthorizeRequest,
  assertGatewayRef,
  assertIdempotencyKey,
  assertMoney,
} from './request-guards.ts';

export type StripeGatewayOptions = {
  secretKey: string;
  /** Point the SDK elsewhere than api.stripe.com, e.g. stripe-mock: `127.0.0.1`, `12111`, `http`. */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Per HTTP attempt. Default 10 s (the SDK's own default, 80 s, is far longer than a checkout should wait). */
  timeoutMs?: number;
  /** The SDK's own retries, each with our idempotency key. Default 2. */
  maxNetworkRetries?: number;
};

/**
 * Card payments through Stripe PaymentIntents: `authorize` creates and confirms an intent with
 * `capture_method: 'manual'` (a hold), `capture` takes it, `voidAuthorization` cancels it, `refund`
 * refunds it. The gateway reference is the PaymentIntent id. Every request carries the caller's
 * idempotency key, so Stripe itself deduplicates retries.
 *
 * Declines: Stripe answers a declined confirmation with a card error (HTTP 402); an intent that comes
 * back in any state but `requires_capture` is not a hold either and is reported as declined.
 */
export class StripeGateway implements PaymentGateway {
  readonly name = 'stripe' as const;
  private readonly stripe: Stripe;

  constructor(options: StripeGatewayOptions) {
    this.stripe = new Stripe(options.secretKey, {
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
      timeout: options.timeoutMs ?? 10_000,
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      telemetry: false,
    });
  }

  async authorize(request: AuthorizeRequest): Promise<Authorization> {
    assertAuthorizeRequest(request);
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amount.amount,
          currency: request.amount.currency.toLowerCase(),
          payment_method: request.paymentMethod,
          capture_method: 'manual',
          confirm: true,
          // Server-side confirmation: no redirect-based methods, so no return_url is needed.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          metadata: {
            orderId: request.orderId,
            ...(request.customerId === undefined ? {} : { customerId: request.customerId }),
          },
        },
        { idempotencyKey: request.idempotencyKey },
      );
    } catch (error) {
      const declined = asDecline(error);
      if (declined) return declined;
      throw toGatewayError(error, request.idempotencyKey);
    }
    return fromIntent(intent);
  }

  async capture(gatewayRef: string, idempotencyKey: string): Promise<void> {
    assertGatewayRef(gatewayRef);
    assertIdempotencyKey(idempotencyKey);
    await this.call(idempotencyKey, () =>
      this.stripe.paymentIntents.capture(gatewayRef, {}, { idempotencyKey }),
    );
  }

  async voidAuthorization(gatewayRef: string, idempotencyKey: string): Promise<void> {
    assertGatewayRef(gatewayRef);
    assertIdempotencyKey(idempotencyKey);
    await this.call(idempotencyKey, () =>
      this.stripe.paymentIntents.cancel(gatewayRef, {}, { idempotencyKey }),
    );
  }

  /** Stripe refunds in the intent's own currency; `amount.currency` is only checked for shape here. */
  async refund(gatewayRef: string, amount: Money, idempotencyKey: string): Promise<void> {
    assertGatewayRef(gatewayRef);
    assertIdempotencyKey(idempotencyKey);
    assertMoney(amount);
    await this.call(idempotencyKey, () =>
      this.stripe.refunds.create({ payment_intent: gatewayRef, amount: amount.amount }, { idempotencyKey }),
    );
  }

  private async call<T>(idempotencyKey: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toGatewayError(error, idempotencyKey);
    }
  }
}

function fromIntent(intent: Stripe.PaymentIntent): Authorization {
  switch (intent.status) {
    case 'requires_capture':
      return { status: 'authorized', gatewayRef: intent.id };
    case 'processing':
      // Not an answer yet; the same key later returns the same intent in its next state.
      throw new GatewayError('unavailable', `payment intent ${intent.id} is still processing`, true);
    case 'requires_action':
      return { status: 'declined', reason: 'authentication_required' };
    default: {
      const error = intent.last_payment_error;
      return { status: 'declined', reason: error?.decline_code ?? error?.code ?? intent.status };
    }
  }
}

/** A card decline, or a payment method Stripe does not know, is an answer, not a failure. */
function asDecline(error: unknown): Authorization | undefined {
  if (error instanceof Stripe.errors.StripeCardError) {
    return { status: 'declined', reason: error.decline_code ?? error.code ?? 'card_declined' };
  }
  if (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    error.code === 'resource_missing' &&
    error.param === 'payment_method'
  ) {
    return { status: 'declined', reason: 'unknown_payment_method' };
  }
  return undefined;
}

/** Stripe's errors in the port's terms. Anything that is not a Stripe error is a bug and goes up unchanged. */
function toGatewayError(error: unknown, idempotencyKey: string): unknown {
  const { errors } = Stripe;
  if (!(error instanceof errors.StripeError)) return error;
  if (error instanceof errors.StripeConnectionError) {
    return new GatewayTimeoutError(`stripe: ${error.message}`);
  }
  if (error instanceof errors.StripeIdempotencyError) {
    const inUse = error.code === 'idempotency_key_in_use';
    return inUse
      ? new GatewayError('unavailable', 'stripe: a request with this idempotency key is still running', true)
      : new IdempotencyKeyReuseError(idempotencyKey);
  }
  if (error instanceof errors.StripeRateLimitError || error instanceof errors.StripeAPIError) {
    return new GatewayError('unavailable', `stripe: ${error.message}`, true);
  }
  if (error instanceof errors.StripeInvalidRequestError) {
    if (error.code === 'payment_intent_unexpected_state') {
      return new PaymentStateError(`stripe: ${error.message}`);
    }
    if (error.code === 'resource_missing') {
      return new GatewayError('not_found', `stripe: ${error.message}`, false);
    }
    return new GatewayError('invalid_request', `stripe: ${error.message}`, false);
  }
  // Authentication, permission: retrying will not help.
  return new GatewayError('refused', `stripe: ${error.message}`, false);
}
