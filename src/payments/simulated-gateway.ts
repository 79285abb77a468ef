import { setTimeout as sleep } from 'node:timers/promises';
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

export type SimulatedGatewayOptions = {
  /** How long a call waits for an answer before `GatewayTimeoutError`. Default 5000 ms. */
  timeoutMs?: number;
  /** How long `pm_sim_slow` takes. Default 300 ms. */
  slowMs?: number;
  /** Added to every call, to make benchmarks feel a network. Default 0. */
  latencyMs?: number;
};

/** `refunded` means fully refunded; a partial refund leaves `captured` with `refunded` > 0. */
export type LedgerStatus = 'authorized' | 'captured' | 'voided' | 'refunded';

export type LedgerEntry = {
  gatewayRef: string;
  orderId: string;
  customerId?: string;
  amount: Money;
  paymentMethod: string;
  status: LedgerStatus;
  /** How many times the funds were taken: 0 or 1, or the simulator is broken. */
  captures: number;
  /** Refunded so far, in minor units. */
  refunded: number;
};

export type Ledger = {
  authorizations: LedgerEntry[];
  capturesByRef: Record<string, number>;
  capturesByOrder: Record<string, number>;
};

const DECLINES: Readonly<Record<string, string>> = {
  pm_card_chargeDeclined: 'generic_decline',
  pm_card_visa_chargeDeclined: 'generic_decline',
  pm_card_chargeDeclinedInsufficientFunds: 'insufficient_funds',
  pm_card_chargeDeclinedLostCard: 'lost_card',
  pm_card_chargeDeclinedStolenCard: 'stolen_card',
  pm_card_chargeDeclinedExpiredCard: 'expired_card',
  pm_card_chargeDeclinedIncorrectCvc: 'incorrect_cvc',
  pm_card_chargeDeclinedProcessingError: 'processing_error',
  pm_card_chargeDeclinedFraudulent: 'fraudulent',
  pm_card_authenticationRequired: 'authentication_required',
};

const APPROVING = /^pm_card_[a-z]+(?:_[a-z]+)*$/;
const NEVER = new Promise<never>(() => {});

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
type Remembered = { fingerprint: string; outcome: Promise<Outcome<unknown>> };

/**
 * An in-process card gateway for the embedded profile and for tests, deterministic, speaking
 * Stripe's test payment method ids:
 *
 * - lower-case brand ids approve: `pm_card_visa`, `pm_card_mastercard`, `pm_card_amex`, `pm_card_visa_debit`, ...
 * - `pm_card_chargeDeclined`, `pm_card_visa_chargeDeclined` decline with `generic_decline`,
 *   `pm_card_chargeDeclinedInsufficientFunds` with `insufficient_funds` (more in `DECLINES`);
 *   `pm_card_authenticationRequired` declines with `authentication_required` (no 3-D Secure here);
 * - `pm_sim_timeout` never answers: `authorize` throws `GatewayTimeoutError` after `timeoutMs`;
 * - `pm_sim_slow` answers after `slowMs`, approving (a timeout if `slowMs` exceeds `timeoutMs`;
 *   the authorization is then still made, and a retry with the same key returns it);
 * - anything else declines with `unknown_payment_method`.
 *
 * Like Stripe it honours idempotency keys: a key seen before returns the first answer (success or
 * error) and changes nothing; a key reused for a different request throws `IdempotencyKeyReuseError`.
 * Capturing an authorization that is already captured, with another key, throws `PaymentStateError`
 * and captures nothing (Stripe answers `payment_intent_unexpected_state` there too).
 */
export class SimulatedGateway implements PaymentGateway {
  readonly name = 'simulated' as const;
  private readonly timeoutMs: number;
  private readonly slowMs: number;
  private readonly latencyMs: number;
  private readonly requests = new Map<string, Remembered>();
  private readonly entries = new Map<string, LedgerEntry>();
  private sequence = 0;

  constructor(options: SimulatedGatewayOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.slowMs = options.slowMs ?? 300;
    this.latencyMs = options.latencyMs ?? 0;
  }

  async authorize(request: AuthorizeRequest): Promise<Authorization> {
    assertAuthorizeRequest(request);
    const { orderId, amount, paymentMethod, customerId } = request;
    const fingerprint = [
      'authorize',
      orderId,
      amount.amount,
      amount.currency,
      paymentMethod,
      customerId ?? null,
    ];
    return this.once(request.idempotencyKey, fingerprint, () => this.processAuthorization(request));
  }

  async capture(gatewayRef: string, idempotencyKey: string): Promise<void> {
    assertGatewayRef(gatewayRef);
    assertIdempotencyKey(idempotencyKey);
    return this.once(idempotencyKey, ['capture', gatewayRef], async () => {
      await this.networkLatency();
      const entry = this.entry(gatewayRef);
      if (entry.status !== 'authorized') {
        throw new PaymentStateError(`cannot capture an authorization that is ${entry.status}`);
      }
      entry.status = 'captured';
      entry.captures += 1;
    });
  }

  async voidAuthorization(gatewayRef: string, idempotencyKey: string): Promise<void> {
    assertGatewayRef(gatewayRef);
    assertIdempotencyKey(idempotencyKey);
    return this.once(idempotencyKey, ['void', gatewayRef], async () => {
      await this.networkLatency();
      const entry = this.entry(gatewayRef);
      if (entry.status !== 'authorized') {
        throw new PaymentStateError(`cannot void an authorization that is ${entry.status}`);
      }
      entry.status = 'voided';
    });
  }

  async refund(gatewayRef: string, amount: Money, idempotencyKey: string): Promise<void> {
    assertGatewayRef(gatewayRef);
    assertIdempotencyKey(idempotencyKey);
    assertMoney(amount);
    return this.once(idempotencyKey, ['refund', gatewayRef, amount.amount, amount.currency], async () => {
      await this.networkLatency();
      const entry = this.entry(gatewayRef);
      if (entry.status !== 'captured') {
        throw new PaymentStateError(`cannot refund an authorization that is ${entry.status}`);
      }
      if (amount.currency !== entry.amount.currency) {
        throw new GatewayError(
          'invalid_request',
          `refund currency ${amount.currency} differs from ${entry.amount.currency}`,
          false,
        );
      }
      if (entry.refunded + amount.amount > entry.amount.amount) {
        throw new GatewayError('invalid_request', 'refund exceeds the captured amount', false);
      }
      entry.refunded += amount.amount;
      if (entry.refunded === entry.amount.amount) entry.status = 'refunded';
    });
  }

  /** A snapshot of every authorization made, for tests to check "captured at most once per order". */
  ledger(): Ledger {
    const authorizations = [...this.entries.values()].map((entry) => ({
      ...entry,
      amount: { ...entry.amount },
    }));
    const capturesByRef: Record<string, number> = {};
    const capturesByOrder: Record<string, number> = {};
    for (const { gatewayRef, orderId, captures } of authorizations) {
      capturesByRef[gatewayRef] = captures;
      capturesByOrder[orderId] = (capturesByOrder[orderId] ?? 0) + captures;
    }
    return { authorizations, capturesByRef, capturesByOrder };
  }

  private async processAuthorization(request: AuthorizeRequest): Promise<Authorization> {
    await this.networkLatency();
    if (request.paymentMethod === 'pm_sim_timeout') return NEVER;
    if (request.paymentMethod === 'pm_sim_slow') await sleep(this.slowMs);
    const reason = declineReason(request.paymentMethod);
    if (reason) return { status: 'declined', reason };
    this.sequence += 1;
    const gatewayRef = `pi_sim_${String(this.sequence).padStart(6, '0')}`;
    this.entries.set(gatewayRef, {
      gatewayRef,
      orderId: request.orderId,
      ...(request.customerId === undefined ? {} : { customerId: request.customerId }),
      amount: { ...request.amount },
      paymentMethod: request.paymentMethod,
      status: 'authorized',
      captures: 0,
      refunded: 0,
    });
    return { status: 'authorized', gatewayRef };
  }

  /**
   * Runs `work` once per idempotency key; later calls with the key share its outcome, even while it
   * is still running. Only the wait is bounded by the timeout: work that outlives it still lands.
   */
  private async once<T>(idempotencyKey: string, request: unknown[], work: () => Promise<T>): Promise<T> {
    const fingerprint = JSON.stringify(request);
    let remembered = this.requests.get(idempotencyKey);
    if (remembered && remembered.fingerprint !== fingerprint) {
      throw new IdempotencyKeyReuseError(idempotencyKey);
    }
    if (!remembered) {
      const outcome = work().then(
        (value): Outcome<unknown> => ({ ok: true, value }),
        (error: unknown): Outcome<unknown> => ({ ok: false, error }),
      );
      remembered = { fingerprint, outcome };
      this.requests.set(idempotencyKey, remembered);
    }
    const outcome = await this.withinTimeout(remembered.outcome);
    if (!outcome.ok) throw outcome.error;
    return outcome.value as T;
  }

  private withinTimeout<T>(answer: Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new GatewayTimeoutError()), this.timeoutMs);
      void answer.then((value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  }

  private async networkLatency(): Promise<void> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
  }

  private entry(gatewayRef: string): LedgerEntry {
    const entry = this.entries.get(gatewayRef);
    if (!entry) throw new GatewayError('not_found', `no authorization ${gatewayRef}`, false);
    return entry;
  }
}

function declineReason(paymentMethod: string): string | undefined {
  if (paymentMethod === 'pm_sim_slow') return undefined;
  const known = DECLINES[paymentMethod];
  if (known) return known;
  return APPROVING.test(paymentMethod) ? undefined : 'unknown_payment_method';
}
