import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres } from '../../src/db/postgres.ts';
import type { SqlClient } from '../../src/db/sql-client.ts';
import {
  CardNumberRejectedError,
  GatewayTimeoutError,
  IdempotencyKeyReuseError,
  PaymentStateError,
} from '../../src/payments/payment-gateway.ts';
import { SimulatedGateway, type SimulatedGatewayOptions } from '../../src/payments/simulated-gateway.ts';
import { freshPGlite, freshPostgres, type TestDatabase } from '../support/databases.ts';
import { authorized, authorizeRequest, paymentGatewayContract, unique, usd } from './contract.ts';

// One in-memory PGlite for the whole file: opening one costs seconds, a gateway on it costs nothing.
let pglite: Promise<TestDatabase> | undefined;
const sharedPGlite = () => (pglite ??= freshPGlite());
afterAll(async () => (await pglite)?.drop());

paymentGatewayContract('simulated (PGlite)', async () => ({
  gateway: new SimulatedGateway({ db: (await sharedPGlite()).db }),
  dispose: async () => {},
}));

paymentGatewayContract('simulated (PostgreSQL)', async () => {
  const database = await freshPostgres(8);
  return { gateway: new SimulatedGateway({ db: database.db }), dispose: () => database.drop() };
});

/** Forgets every answer and authorization: what a new in-memory simulator used to start from. */
async function forgetEverything(db: SqlClient) {
  await db.exec(`TRUNCATE simulated_gateway_requests, simulated_gateway_authorizations;
    ALTER SEQUENCE simulated_gateway_authorization_seq RESTART`);
}

// What only the simulator can show: stripe-mock keeps no state, so these are its promises alone.
describe('simulated gateway', () => {
  let db: SqlClient;
  beforeAll(async () => {
    db = (await sharedPGlite()).db;
  });
  /** A simulator with an empty memory. */
  const fresh = async (options: Omit<SimulatedGatewayOptions, 'db'> = {}) => {
    await forgetEverything(db);
    return new SimulatedGateway({ db, ...options });
  };
  // Slow test cards answer quickly; every other call may take as long as a loaded machine makes it.
  const fast = () => fresh({ timeoutMs: 30_000, slowMs: 40 });

  describe('idempotency', () => {
    it('replays an authorization with the same key: same reference, nothing new in the ledger', async () => {
      const gateway = await fast();
      const request = authorizeRequest();
      const first = await gateway.authorize(request);
      const again = await gateway.authorize({ ...request, amount: { ...request.amount } });
      expect(again).toEqual(first);
      expect((await gateway.ledger()).authorizations).toHaveLength(1);
    });

    it('creates one authorization for concurrent requests with one key', async () => {
      const gateway = await fast();
      const request = authorizeRequest({ paymentMethod: 'pm_sim_slow' });
      const answers = await Promise.all(Array.from({ length: 5 }, () => gateway.authorize(request)));
      expect(new Set(answers.map((a) => (a.status === 'authorized' ? a.gatewayRef : a.reason))).size).toBe(1);
      expect((await gateway.ledger()).authorizations).toHaveLength(1);
    });

    it('refuses a key reused for a different request', async () => {
      const gateway = await fast();
      const request = authorizeRequest();
      await gateway.authorize(request);
      await expect(gateway.authorize({ ...request, amount: usd(1) })).rejects.toBeInstanceOf(
        IdempotencyKeyReuseError,
      );
      const ref = await authorized(gateway);
      await expect(gateway.capture(ref, request.idempotencyKey)).rejects.toMatchObject({
        code: 'idempotency_key_reused',
      });
      expect((await gateway.ledger()).capturesByRef[ref]).toBe(0);
    });

    it('replays a refusal with the same key as the same refusal', async () => {
      const gateway = await fast();
      const ref = await authorized(gateway);
      await gateway.voidAuthorization(ref, unique('void'));
      const key = unique('capture');
      const first = await gateway.capture(ref, key).catch((e: unknown) => e);
      const again = await gateway.capture(ref, key).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(PaymentStateError);
      // Replayed from the stored answer: not the same object, the same typed refusal.
      expect(again).toBeInstanceOf(PaymentStateError);
      expect(again).toStrictEqual(first);
    });
  });

  describe('captured at most once', () => {
    it('counts one capture for a capture replayed with its key', async () => {
      const gateway = await fast();
      const ref = await authorized(gateway);
      const key = unique('capture');
      await gateway.capture(ref, key);
      await gateway.capture(ref, key);
      expect((await gateway.ledger()).capturesByRef[ref]).toBe(1);
    });

    it('refuses a second capture with another key and still counts one', async () => {
      const gateway = await fast();
      const request = authorizeRequest();
      const ref = await authorized(gateway, request);
      await gateway.capture(ref, unique('capture'));
      await expect(gateway.capture(ref, unique('capture'))).rejects.toBeInstanceOf(PaymentStateError);
      const ledger = await gateway.ledger();
      expect(ledger.capturesByRef[ref]).toBe(1);
      expect(ledger.capturesByOrder[request.orderId]).toBe(1);
      expect(ledger.authorizations[0]).toMatchObject({ gatewayRef: ref, status: 'captured', captures: 1 });
    });

    it('captures once when many workers race with different keys', async () => {
      const gateway = await fresh({ latencyMs: 5 });
      const ref = await authorized(gateway);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => gateway.capture(ref, unique('capture'))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await gateway.ledger()).capturesByRef[ref]).toBe(1);
    });

    it('neither captures a voided authorization nor voids a captured one', async () => {
      const gateway = await fast();
      const voided = await authorized(gateway);
      await gateway.voidAuthorization(voided, unique('void'));
      await expect(gateway.capture(voided, unique('capture'))).rejects.toBeInstanceOf(PaymentStateError);
      const captured = await authorized(gateway);
      await gateway.capture(captured, unique('capture'));
      await expect(gateway.voidAuthorization(captured, unique('void'))).rejects.toBeInstanceOf(
        PaymentStateError,
      );
      const statuses = Object.fromEntries(
        (await gateway.ledger()).authorizations.map((a) => [a.gatewayRef, a.status]),
      );
      expect(statuses).toEqual({ [voided]: 'voided', [captured]: 'captured' });
      expect((await gateway.ledger()).capturesByRef).toEqual({ [voided]: 0, [captured]: 1 });
    });

    it('reports an unknown gateway reference as not found', async () => {
      await expect((await fast()).capture('pi_sim_missing', unique('capture'))).rejects.toMatchObject({
        code: 'not_found',
      });
    });
  });

  describe('refunds', () => {
    it('tracks partial and full refunds in the ledger', async () => {
      const gateway = await fast();
      const ref = await authorized(gateway, { amount: usd(3000) });
      await gateway.capture(ref, unique('capture'));
      await gateway.refund(ref, usd(1000), unique('refund'));
      expect((await gateway.ledger()).authorizations[0]).toMatchObject({
        status: 'captured',
        refunded: 1000,
      });
      await gateway.refund(ref, usd(2000), unique('refund'));
      expect((await gateway.ledger()).authorizations[0]).toMatchObject({
        status: 'refunded',
        refunded: 3000,
        captures: 1,
      });
    });

    it('refunds a replayed refund once', async () => {
      const gateway = await fast();
      const ref = await authorized(gateway, { amount: usd(3000) });
      await gateway.capture(ref, unique('capture'));
      const key = unique('refund');
      await gateway.refund(ref, usd(1000), key);
      await gateway.refund(ref, usd(1000), key);
      expect((await gateway.ledger()).authorizations[0]?.refunded).toBe(1000);
    });

    it('refuses to refund what was not captured, more than was captured, or in another currency', async () => {
      const gateway = await fast();
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
      expect((await gateway.ledger()).authorizations[0]?.refunded).toBe(0);
    });
  });

  describe('test cards', () => {
    it('times out on pm_sim_timeout after timeoutMs, retryable, and creates nothing', async () => {
      const gateway = await fresh({ timeoutMs: 150, slowMs: 40 });
      const request = authorizeRequest({ paymentMethod: 'pm_sim_timeout' });
      const started = performance.now();
      const error = await gateway.authorize(request).catch((e: unknown) => e);
      const waited = performance.now() - started;
      expect(error).toBeInstanceOf(GatewayTimeoutError);
      expect(error).toMatchObject({ code: 'timeout', retryable: true });
      // Not before its timeout (how much later depends on the machine: not asserted).
      expect(waited).toBeGreaterThanOrEqual(140);
      await expect(gateway.authorize(request)).rejects.toBeInstanceOf(GatewayTimeoutError);
      expect((await gateway.ledger()).authorizations).toHaveLength(0);
    });

    it('answers pm_sim_slow after slowMs, within the timeout', async () => {
      const gateway = await fresh({ timeoutMs: 30_000, slowMs: 120 });
      const started = performance.now();
      const result = await gateway.authorize(authorizeRequest({ paymentMethod: 'pm_sim_slow' }));
      expect(result.status).toBe('authorized');
      expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    });

    it('defaults pm_sim_slow to about 300 ms', async () => {
      const gateway = await fresh({ timeoutMs: 30_000 });
      const started = performance.now();
      await gateway.authorize(authorizeRequest({ paymentMethod: 'pm_sim_slow' }));
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    });

    it('still makes a slow authorization that timed out; the retry with the same key finds it', async () => {
      const gateway = await fresh({ timeoutMs: 50, slowMs: 120 });
      const request = authorizeRequest({ paymentMethod: 'pm_sim_slow' });
      await expect(gateway.authorize(request)).rejects.toBeInstanceOf(GatewayTimeoutError);
      // Until the authorization the caller gave up on has landed; the retry is patient.
      await expect
        .poll(async () => (await gateway.ledger()).authorizations.length, { timeout: 30_000 })
        .toBe(1);
      const retried = await new SimulatedGateway({ db, timeoutMs: 30_000, slowMs: 120 }).authorize(request);
      expect(retried.status).toBe('authorized');
      expect((await gateway.ledger()).authorizations).toHaveLength(1);
    });

    it.each([
      ['pm_card_chargeDeclinedLostCard', 'lost_card'],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
      ['pm_card_authenticationRequired', 'authentication_required'],
      ['pm_card_unknownBehaviour', 'unknown_payment_method'],
      ['tok_visa', 'unknown_payment_method'],
    ])('declines %s with %s', async (paymentMethod, reason) => {
      const gateway = await fast();
      expect(await gateway.authorize(authorizeRequest({ paymentMethod }))).toEqual({
        status: 'declined',
        reason,
      });
      expect((await gateway.ledger()).authorizations).toHaveLength(0);
    });

    it('refuses a card number with a typed error that never contains it, and records nothing', async () => {
      const gateway = await fast();
      const cardNumber = '4242424242424242';
      const error = await gateway
        .authorize(authorizeRequest({ paymentMethod: cardNumber }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CardNumberRejectedError);
      expect(error).toMatchObject({ code: 'card_number_rejected', retryable: false });
      expect(`${(error as Error).message} ${(error as Error).stack}`).not.toContain(cardNumber);
      expect(JSON.stringify(await gateway.ledger())).not.toContain(cardNumber);
      expect((await gateway.ledger()).authorizations).toHaveLength(0);
    });
  });

  it('adds latencyMs to every call', async () => {
    const gateway = await fresh({ latencyMs: 60 });
    let started = performance.now();
    const ref = await authorized(gateway);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    started = performance.now();
    await gateway.capture(ref, unique('capture'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('numbers gateway references deterministically', async () => {
    const refs = async () => {
      const gateway = await fast();
      return [await authorized(gateway), await authorized(gateway)];
    };
    const first = await refs();
    expect(first).toEqual(['pi_sim_000001', 'pi_sim_000002']);
    expect(await refs()).toEqual(first);
  });
});

// Two connection pools on one PostgreSQL database stand for two worker processes: each has its own
// gateway object, and the only thing they share is what a real gateway would be, the gateway itself.
describe('simulated gateway shared by processes (PostgreSQL)', () => {
  let database: TestDatabase;
  const pools: SqlClient[] = [];
  const process = (options: Omit<SimulatedGatewayOptions, 'db'> = {}) => {
    const db = connectPostgres({ connectionString: database.url!, maxConnections: 8 });
    pools.push(db);
    return new SimulatedGateway({ db, ...options });
  };
  beforeAll(async () => {
    database = await freshPostgres(4);
  });
  afterAll(async () => {
    await Promise.all(pools.map((db) => db.close()));
    await database.drop();
  });

  it('creates one authorization for one key sent by two processes at once', async () => {
    const [a, b] = [process({ slowMs: 30 }), process({ slowMs: 30 })];
    const request = authorizeRequest({ paymentMethod: 'pm_sim_slow' });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).authorize({ ...request })),
    );
    const refs = new Set(answers.map((answer) => (answer.status === 'authorized' ? answer.gatewayRef : '')));
    expect(refs.size).toBe(1);
    expect([...refs][0]).toMatch(/^pi_sim_\d{6}$/);
    const ledger = await a.ledger();
    expect(ledger.authorizations.filter((entry) => entry.orderId === request.orderId)).toHaveLength(1);
  });

  it('captures once when two processes race with different keys', async () => {
    const [a, b] = [process(), process()];
    const request = authorizeRequest();
    const ref = await authorized(a, request);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).capture(ref, unique('capture'))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const refused of results.filter((r) => r.status === 'rejected'))
      expect(refused.reason).toBeInstanceOf(PaymentStateError);
    const ledger = await b.ledger();
    expect(ledger.capturesByRef[ref]).toBe(1);
    expect(ledger.capturesByOrder[request.orderId]).toBe(1);
  });

  it('gives a restarted process the answers the dead one got, changing nothing', async () => {
    const before = process();
    const request = authorizeRequest();
    const first = await before.authorize(request);
    if (first.status !== 'authorized') throw new Error('expected an authorization');
    const captureKey = unique('capture');
    await before.capture(first.gatewayRef, captureKey);
    await pools.pop()!.close(); // the process dies; only the gateway remembers

    const after = process();
    expect(await after.authorize({ ...request })).toEqual(first);
    await expect(after.capture(first.gatewayRef, captureKey)).resolves.toBeUndefined();
    await expect(after.capture(first.gatewayRef, unique('capture'))).rejects.toBeInstanceOf(
      PaymentStateError,
    );
    await expect(after.authorize({ ...request, paymentMethod: 'pm_card_amex' })).rejects.toBeInstanceOf(
      IdempotencyKeyReuseError,
    );
    const mine = (await after.ledger()).authorizations.filter((entry) => entry.orderId === request.orderId);
    expect(mine).toEqual([
      expect.objectContaining({ gatewayRef: first.gatewayRef, status: 'captured', captures: 1 }),
    ]);
  });

  it('lets a slow authorization that timed out in one process be found by another with the key', async () => {
    const impatient = process({ timeoutMs: 50, slowMs: 150 });
    const request = authorizeRequest({ paymentMethod: 'pm_sim_slow' });
    await expect(impatient.authorize(request)).rejects.toBeInstanceOf(GatewayTimeoutError);
    // Until the authorization the first process gave up on has landed; the other process is patient.
    await expect
      .poll(
        async () =>
          (await impatient.ledger()).authorizations.filter((entry) => entry.orderId === request.orderId)
            .length,
        { timeout: 30_000 },
      )
      .toBe(1);
    const retried = await process({ timeoutMs: 30_000, slowMs: 150 }).authorize(request);
    expect(retried.status).toBe('authorized');
    const mine = (await impatient.ledger()).authorizations.filter(
      (entry) => entry.orderId === request.orderId,
    );
    expect(mine).toHaveLength(1);
  });
});
