import { BY_KEY, type SqlClient, type SqlTransaction } from '../db/sql-client.ts';
import { GatewayError, PaymentStateError, type GatewayErrorCode, type Money } from './payment-gateway.ts';

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

/** What a key answered, as stored: a value, or the refusal that every replay throws again. */
export type StoredOutcome =
  | { ok: true; value?: unknown }
  | { ok: false; error: { code: GatewayErrorCode; message: string; retryable: boolean } };

export type StoredAnswer = { fingerprint: string; outcome: StoredOutcome };

export type NewAuthorization = {
  idempotencyKey: string;
  orderId: string;
  customerId?: string;
  amount: Money;
  paymentMethod: string;
};

type AnswerRow = { answer_fingerprint: string; answer_outcome: StoredOutcome };

type AuthorizationRow = {
  gateway_ref: string;
  order_id: string;
  customer_id: string | null;
  amount: string | number;
  currency: string;
  payment_method: string;
  status: LedgerStatus;
  captures: number;
  refunded: string | number;
};

/**
 * The simulated gateway's memory in SQL (tables of migration 0008), shared by every process on the
 * database. An answer and the ledger change it reports are written in one transaction, and each
 * change is one conditional statement, so processes racing on one key or one authorization cannot
 * both win.
 */
export class SimulatedGatewayLedger {
  constructor(private readonly db: SqlClient) {}

  async answerTo(idempotencyKey: string): Promise<StoredAnswer | undefined> {
    const [row] = await this.db.query<StoredAnswer>(
      `SELECT fingerprint, outcome FROM simulated_gateway_requests WHERE idempotency_key = $1`,
      [idempotencyKey],
    );
    return row;
  }

  /**
   * Claims the key and runs `work` under it, storing its outcome; a key claimed first by someone else
   * (here or in another process) returns that first answer instead and runs nothing. A concurrent
   * claimer waits on the key's row until the first transaction ends.
   */
  answerOnce(
    idempotencyKey: string,
    fingerprint: string,
    work: (changes: LedgerChanges) => Promise<unknown>,
  ): Promise<StoredAnswer> {
    return this.db.transaction(async (tx) => {
      const claimed = await tx.query(
        `INSERT INTO simulated_gateway_requests (idempotency_key, fingerprint) VALUES ($1, $2)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
        [idempotencyKey, fingerprint],
      );
      if (claimed.length === 0) {
        const [first] = await tx.query<StoredAnswer>(
          `SELECT fingerprint, outcome FROM simulated_gateway_requests WHERE idempotency_key = $1`,
          [idempotencyKey],
        );
        return first!;
      }
      const outcome = await work(new LedgerChanges(tx, idempotencyKey)).then(
        (value): StoredOutcome => (value === undefined ? { ok: true } : { ok: true, value }),
        (error: unknown): StoredOutcome => {
          if (!(error instanceof GatewayError)) throw error; // a database failure: roll back, remember nothing
          return {
            ok: false,
            error: { code: error.code, message: error.message, retryable: error.retryable },
          };
        },
      );
      await tx.query(
        `UPDATE simulated_gateway_requests SET outcome = $2::jsonb, answered_at = now() WHERE idempotency_key = $1`,
        [idempotencyKey, JSON.stringify(outcome)],
      );
      return { fingerprint, outcome };
    });
  }

  /** `answerOnce` for an authorization (a hold, or the decline `decline` names), in one statement. */
  async authorizeOnce(
    idempotencyKey: string,
    fingerprint: string,
    request: Omit<NewAuthorization, 'idempotencyKey'>,
    decline: string | undefined,
  ): Promise<StoredAnswer> {
    const [row] = await this.db.query<AnswerRow>(
      `SELECT answer_fingerprint, answer_outcome FROM simulated_gateway_authorize($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        idempotencyKey,
        fingerprint,
        request.orderId,
        request.customerId ?? null,
        request.amount.amount,
        request.amount.currency,
        request.paymentMethod,
        decline ?? null,
      ],
      BY_KEY,
    );
    return { fingerprint: row!.answer_fingerprint, outcome: row!.answer_outcome };
  }

  /** `answerOnce` for a capture (`LedgerChanges.capture`), in one statement. */
  async captureOnce(idempotencyKey: string, fingerprint: string, gatewayRef: string): Promise<StoredAnswer> {
    const [row] = await this.db.query<AnswerRow>(
      `SELECT answer_fingerprint, answer_outcome FROM simulated_gateway_capture($1, $2, $3)`,
      [idempotencyKey, fingerprint, gatewayRef],
      BY_KEY,
    );
    return { fingerprint: row!.answer_fingerprint, outcome: row!.answer_outcome };
  }

  /** Every authorization made, oldest first. */
  async snapshot(): Promise<Ledger> {
    const rows = await this.db.query<AuthorizationRow>(
      `SELECT gateway_ref, order_id, customer_id, amount, currency, payment_method, status, captures, refunded
         FROM simulated_gateway_authorizations ORDER BY id`,
    );
    const authorizations = rows.map(toEntry);
    const capturesByRef: Record<string, number> = {};
    const capturesByOrder: Record<string, number> = {};
    for (const { gatewayRef, orderId, captures } of authorizations) {
      capturesByRef[gatewayRef] = captures;
      capturesByOrder[orderId] = (capturesByOrder[orderId] ?? 0) + captures;
    }
    return { authorizations, capturesByRef, capturesByOrder };
  }
}

/** The ledger changes one answer can make, inside the transaction that stores the answer. */
export class LedgerChanges {
  constructor(
    private readonly tx: SqlTransaction,
    private readonly idempotencyKey: string,
  ) {}

  async authorize(request: Omit<NewAuthorization, 'idempotencyKey'>): Promise<string> {
    // The reference numbers the hold (pi_sim_000001, ...): drawn and inserted in one statement.
    const [row] = await this.tx.query<{ gateway_ref: string }>(
      `INSERT INTO simulated_gateway_authorizations
         (id, gateway_ref, idempotency_key, order_id, customer_id, amount, currency, payment_method, status)
       SELECT n.id, 'pi_sim_' || repeat('0', greatest(0, 6 - length(n.id::text))) || n.id::text,
              $1::text, $2::text, $3::text, $4::bigint, $5::text, $6::text, 'authorized'
         FROM (SELECT nextval('simulated_gateway_authorization_seq') AS id) n
       RETURNING gateway_ref`,
      [
        this.idempotencyKey,
        request.orderId,
        request.customerId ?? null,
        request.amount.amount,
        request.amount.currency,
        request.paymentMethod,
      ],
    );
    return row!.gateway_ref;
  }

  /** Takes the held funds, once: only the statement that finds the hold still `authorized` counts. */
  async capture(gatewayRef: string): Promise<void> {
    const captured = await this.tx.query(
      `UPDATE simulated_gateway_authorizations SET status = 'captured', captures = captures + 1
        WHERE gateway_ref = $1 AND status = 'authorized' RETURNING gateway_ref`,
      [gatewayRef],
    );
    if (captured.length === 0) {
      const { status } = await this.current(gatewayRef);
      throw new PaymentStateError(`cannot capture an authorization that is ${status}`);
    }
  }

  async voidAuthorization(gatewayRef: string): Promise<void> {
    const voided = await this.tx.query(
      `UPDATE simulated_gateway_authorizations SET status = 'voided'
        WHERE gateway_ref = $1 AND status = 'authorized' RETURNING gateway_ref`,
      [gatewayRef],
    );
    if (voided.length === 0) {
      const { status } = await this.current(gatewayRef);
      throw new PaymentStateError(`cannot void an authorization that is ${status}`);
    }
  }

  async refund(gatewayRef: string, amount: Money): Promise<void> {
    const refunded = await this.tx.query(
      `UPDATE simulated_gateway_authorizations
          SET refunded = refunded + $2,
              status = CASE WHEN refunded + $2 = amount THEN 'refunded' ELSE status END
        WHERE gateway_ref = $1 AND status = 'captured' AND currency = $3 AND refunded + $2 <= amount
        RETURNING gateway_ref`,
      [gatewayRef, amount.amount, amount.currency],
    );
    if (refunded.length > 0) return;
    const entry = await this.current(gatewayRef);
    if (entry.status !== 'captured')
      throw new PaymentStateError(`cannot refund an authorization that is ${entry.status}`);
    if (entry.amount.currency !== amount.currency)
      throw new GatewayError(
        'invalid_request',
        `refund currency ${amount.currency} differs from ${entry.amount.currency}`,
        false,
      );
    throw new GatewayError('invalid_request', 'refund exceeds the captured amount', false);
  }

  private async current(gatewayRef: string): Promise<LedgerEntry> {
    const [row] = await this.tx.query<AuthorizationRow>(
      `SELECT gateway_ref, order_id, customer_id, amount, currency, payment_method, status, captures, refunded
         FROM simulated_gateway_authorizations WHERE gateway_ref = $1`,
      [gatewayRef],
    );
    if (!row) throw new GatewayError('not_found', `no authorization ${gatewayRef}`, false);
    return toEntry(row);
  }
}

/** The refusal a stored outcome holds, rebuilt as the typed error the first caller got. */
export function storedError(error: Extract<StoredOutcome, { ok: false }>['error']): GatewayError {
  if (error.code === 'invalid_state') return new PaymentStateError(error.message);
  return new GatewayError(error.code, error.message, error.retryable);
}

function toEntry(row: AuthorizationRow): LedgerEntry {
  return {
    gatewayRef: row.gateway_ref,
    orderId: row.order_id,
    ...(row.customer_id === null ? {} : { customerId: row.customer_id }),
    amount: { amount: Number(row.amount), currency: row.currency },
    paymentMethod: row.payment_method,
    status: row.status,
    captures: Number(row.captures),
    refunded: Number(row.refunded),
  };
}
