import { isGatewayToken } from '../domain/payment/card-data.ts';
import {
  CardNumberRejectedError,
  GatewayError,
  type AuthorizeRequest,
  type Money,
} from './payment-gateway.ts';

// Checks every adapter runs before it talks to a gateway, so both refuse the same requests.

/** Stripe's limit on idempotency keys. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export function assertIdempotencyKey(idempotencyKey: string): void {
  if (
    typeof idempotencyKey !== 'string' ||
    idempotencyKey.trim() === '' ||
    idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH
  ) {
    throw new GatewayError(
      'invalid_request',
      `an idempotency key of 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters is required`,
      false,
    );
  }
}

export function assertMoney(money: Money): void {
  if (!Number.isSafeInteger(money.amount) || money.amount <= 0) {
    throw new GatewayError('invalid_request', 'amount must be a positive integer in minor units', false);
  }
  if (!/^[A-Z]{3}$/.test(money.currency)) {
    throw new GatewayError('invalid_request', 'currency must be an upper-case ISO 4217 code', false);
  }
}

export function assertGatewayRef(gatewayRef: string): void {
  if (typeof gatewayRef !== 'string' || gatewayRef.trim() === '') {
    throw new GatewayError('invalid_request', 'a gateway reference is required', false);
  }
}

export function assertAuthorizeRequest(request: AuthorizeRequest): void {
  // First, so that nothing below can put a card number into an error message.
  if (
    typeof request.paymentMethod === 'string' &&
    request.paymentMethod.trim() !== '' &&
    !isGatewayToken(request.paymentMethod)
  ) {
    throw new CardNumberRejectedError();
  }
  assertIdempotencyKey(request.idempotencyKey);
  assertMoney(request.amount);
  if (typeof request.orderId !== 'string' || request.orderId.trim() === '') {
    throw new GatewayError('invalid_request', 'an order id is required', false);
  }
  if (typeof request.paymentMethod !== 'string' || request.paymentMethod.trim() === '') {
    throw new GatewayError('invalid_request', 'a payment method token is required', false);
  }
}
