import { setTimeout as sleep } from 'node:timers/promises';
import type { SqlClient } from '../db/sql-client.ts';
import {
  GatewayTimeoutError,
  IdempotencyKeyReuseError,
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
import {
  SimulatedGatewayLedger,
  storedError,
  type Ledger,
  type LedgerChanges,
  type StoredAnswer,
} from './simulated-gateway-ledger.ts';

export type { Ledger, LedgerEntry, LedgerStatus } from './simulated-gateway-ledger.ts';

export type SimulatedGatewayOptions = {
  /** Where the gateway keeps its memory (migration 0008): the platform's database, shared by every process. */
  db: SqlClient;
  /** How long a call waits for an answer before `GatewayTimeoutError`. Default 5000 ms. */
  timeoutMs?: number;
  /** How long `pm_sim_slow` takes. Default 300 ms. */
  slowMs?: number;
  /** Added to every call, to make benchmarks feel a network. Default 0. */
  latencyMs?: number;
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

type Work = (changes: LedgerChanges) => Promise<unknown>;

/**
 * A card gateway for the embedded profile and for tests, deterministic, speaking Stripe's test
 * payment method ids:
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
 * Like a real gateway it is one system outside the processes that call it: its answers and its
 * ledger live in SQL (`SimulatedGatewayLedger`), so a worker restarted after a crash, or a second
 * worker, meets the same memory. Like Stripe it honours idempotency keys: a key seen before returns
 * the first answer (success or refusal) and changes nothing; a key reused for a different request
 * throws `IdempotencyKeyReuseError`. Capturing an authorization that is already captured, with
 * another key, throws `PaymentStateError` and captures nothing (Stripe answers
 * `payment_intent_unexpected_state` there too).
 */
export class SimulatedGateway implements PaymentGateway {
  readonly name = 'simulated' as const;
  private readonly memory: SimulatedGatewayLedger;
  private readonly timeoutMs: number;
  private readonly slowMs: number;
  private readonly latencyMs: number;

  constructor(options: SimulatedGatewayOptions) {
    this.memory = new SimulatedGatewayLedger(options.db);
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
    const work: Work = async (changes): Promise<Authorization> => {
      const reason = declineReason(paymentMethod);
      if (reason) return { status: 'declined', reason };
      const gatewayRef = await changes.authorize({
        orderId,
        amount,
        paymentMethod,
        ...(customerId === undefined ? {} : { customerId }),
      });
      return { status: 'authorized', gatewayRef };
    };
    const slow = paymentMethod === 'pm_sim_timeout' || paymentMethod === 'pm_sim_slow';
    if (slow)
      return this.once<Authorization>(request.idempotencyKey, fingerprint, work, () =>
        this.processing(paymentMethod),
      );
    // No processing to wait out: the same claim, hold and answer as `work`, in one statement.
    return this.inOneStatement<Authorization>(request.idempotencyKey, fingerprint, (key, print) =>
      this.memory.authorizeOnce(
        key,
        print,
        { orderId, amount, paymentMethod, ...(customerId === undefined ? {} : { customerId }) },
        declineReason(paymentMethod),
      ),
    );
  }

  async capture(gatewayRef: string, idempotencyKey: string): Promise<void> {
    assertGatewayRef(gatewayRef);
    assertIdempotencyKey(idempotencyKey);
    await this.inOneStatement(idempotencyKey, ['capture', gatewayRef], (key, fingerprint) =>
      this.memory.captureOnce(key, fingerprint, gatewayRef),
    );
  }

  async voidAuthorization(gatewayRef: string, idempotencyKey: string): Promise<void> {
    assertGatewayRef(gatewayRef);
    assertIdempotencyKey(idempotencyKey);
    await this.once(idempotencyKey, ['void', gatewayRef], (changes) => changes.voidAuthorization(gatewayRef));
  }

  async refund(gatewayRef: string, amount: Money, idempotencyKey: string): Promise<void> {
    assertGatewayRef(gatewayRef);
    assertIdempotencyKey(idempotencyKey);
    assertMoney(amount);
    await this.once(idempotencyKey, ['refund', gatewayRef, amount.amount, amount.currency], (changes) =>
      changes.refund(gatewayRef, amount),
    );
  }

  /** Every authorization made on this database (by any process), for tests to check "captured at most once". */
  ledger(): Promise<Ledger> {
    return this.memory.snapshot();
  }

  /**
   * Answers a key once. A key answered before, by any process, replays that answer. A new key waits
   * out the gateway's `processing`, then runs `work` and stores its answer in one transaction, where a
   * racing request with the same key gets the first answer instead. Only the caller's wait is bounded
   * by the timeout: work that outlives it still lands, and a retry with the key finds it. Without a
   * `processing` wait, the transaction alone answers a key seen before (no read first).
   */
  private once<T>(idempotencyKey: string, request: unknown[], work: Work, processing?: () => Promise<void>) {
    const fingerprint = JSON.stringify(request);
    const answer = (async () => {
      await this.networkLatency();
      if (processing) {
        const earlier = await this.memory.answerTo(idempotencyKey);
        if (earlier) return replay<T>(idempotencyKey, fingerprint, earlier);
        await processing();
      }
      return replay<T>(
        idempotencyKey,
        fingerprint,
        await this.memory.answerOnce(idempotencyKey, fingerprint, work),
      );
    })();
    return this.withinTimeout(answer);
  }

  /** `once` for a request whose claim, work and answer the ledger makes in one statement. */
  private inOneStatement<T>(
    idempotencyKey: string,
    request: unknown[],
    answerOnce: (idempotencyKey: string, fingerprint: string) => Promise<StoredAnswer>,
  ) {
    const fingerprint = JSON.stringify(request);
    const answer = (async () => {
      await this.networkLatency();
      return replay<T>(idempotencyKey, fingerprint, await answerOnce(idempotencyKey, fingerprint));
    })();
    return this.withinTimeout(answer);
  }

  private withinTimeout<T>(answer: Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new GatewayTimeoutError()), this.timeoutMs);
      answer.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private async processing(paymentMethod: string): Promise<void> {
    if (paymentMethod === 'pm_sim_timeout') return NEVER;
    if (paymentMethod === 'pm_sim_slow') await sleep(this.slowMs);
  }

  private async networkLatency(): Promise<void> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
  }
}

/** The stored answer as the caller gets it: the value, or the refusal thrown again. */
function replay<T>(idempotencyKey: string, fingerprint: string, answer: StoredAnswer): T {
  if (answer.fingerprint !== fingerprint) throw new IdempotencyKeyReuseError(idempotencyKey);
  if (!answer.outcome.ok) throw storedError(answer.outcome.error);
  return answer.outcome.value as T;
}

function declineReason(paymentMethod: string): string | undefined {
  if (paymentMethod === 'pm_sim_slow') return undefined;
  const known = DECLINES[paymentMethod];
  if (known) return known;
  return APPROVING.test(paymentMethod) ? undefined : 'unknown_payment_method';
}
