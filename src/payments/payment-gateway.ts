/**
 * The payment port: what the checkout saga needs from a card gateway, and nothing more.
 *
 * Adapters: `SimulatedGateway` (embedded profile, in-process) and `StripeGateway` (Stripe
 * PaymentIntents with manual capture). Both pass `test/payments/contract.ts`.
 *
 * Every call carries an idempotency key: retrying a call with the same key (after a timeout, a
 * crash, a redelivered command) must not authorize, capture or refund twice. Reusing a key for a
 * different request is an error (`IdempotencyKeyReuseError`), as it is at Stripe.
 *
 * Card data never reaches this port: `paymentMethod` is a gateway token (`pm_card_visa`, ...).
 * A string that looks like a card number is refused with `CardNumberRejectedError` before any
 * gateway is called, and the error never repeats it.
 */

import type { Money } from '../domain/money.ts';

export type { Money };

export type AuthorizeRequest = {
  orderId: string;
  amount: Money;
  /** A gateway token such as `pm_card_visa`; never a card number. */
  paymentMethod: string;
  idempotencyKey: string;
  /** Our customer id; gateways keep it as metadata, it is not a gateway customer object. */
  customerId?: string;
};

/**
 * `reason` on a decline is a Stripe decline code (`generic_decline`, `insufficient_funds`, ...) or
 * one of ours (`unknown_payment_method`, `authentication_required`, `requires_payment_method`).
 */
export type Authorization =
  { status: 'authorized'; gatewayRef: string } | { status: 'declined'; reason: string };

export interface PaymentGateway {
  readonly name: 'simulated' | 'stripe';
  /** Places a hold on the funds. Throws `GatewayTimeoutError` when the gateway does not answer in time: retry with the SAME key. */
  authorize(request: AuthorizeRequest): Promise<Authorization>;
  /** Takes the held funds. Capturing an already captured authorization with another key throws `PaymentStateError`. */
  capture(gatewayRef: string, idempotencyKey: string): Promise<void>;
  /** Releases an uncaptured hold. */
  voidAuthorization(gatewayRef: string, idempotencyKey: string): Promise<void>;
  /** Gives back (part of) a captured amount. */
  refund(gatewayRef: string, amount: Money, idempotencyKey: string): Promise<void>;
}

export type GatewayErrorCode =
  | 'timeout'
  | 'unavailable'
  | 'invalid_request'
  | 'card_number_rejected'
  | 'idempotency_key_reused'
  | 'not_found'
  | 'invalid_state'
  | 'refused';

/** A gateway call that failed. `retryable`: the same call with the same key may succeed later. */
export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly retryable: boolean;
  constructor(code: GatewayErrorCode, message: string, retryable: boolean) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
  }
}

/** No answer in time, or the connection broke: the outcome is unknown, so retry with the same key. */
export class GatewayTimeoutError extends GatewayError {
  constructor(message = 'the payment gateway did not answer in time') {
    super('timeout', message, true);
  }
}

/** The payment method looked like a raw card number. The message never contains it. */
export class CardNumberRejectedError extends GatewayError {
  constructor() {
    super(
      'card_number_rejected',
      'payment method looks like a card number; only gateway tokens are accepted',
      false,
    );
  }
}

export class IdempotencyKeyReuseError extends GatewayError {
  constructor(idempotencyKey: string) {
    super(
      'idempotency_key_reused',
      `idempotency key "${idempotencyKey}" was already used for a different request`,
      false,
    );
  }
}

/** The authorization is not in a state that allows the call (capture after void, second capture, ...). */
export class PaymentStateError extends GatewayError {
  constructor(message: string) {
    super('invalid_state', message, false);
  }
}
