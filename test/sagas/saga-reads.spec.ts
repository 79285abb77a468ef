import { isRight } from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandHandlers, streams } from '../../src/commands/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { EventStore } from '../../src/eventstore/event-store.ts';
import type { PaymentGateway } from '../../src/payments/payment-gateway.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import { CheckoutSaga } from '../../src/sagas/checkout/checkout-saga.ts';
import { foldAppended, unread } from '../../src/sagas/checkout/known-streams.ts';
import type { Appended } from '../../src/sagas/checkout/outside-world.ts';
import { evolve, initialState, type CheckoutEvent } from '../../src/sagas/checkout/state.ts';
import { adminContext, checkout, inventoryOf, orderState, paymentOf, stockProduct } from '../support/shop.ts';

// What the checkout saga reads of an order's streams. It decides each turn on the streams as its own
// commands left them when the versions those appends returned prove nothing else was appended
// between; otherwise it reads them again (docs/decisions/0021). Reading them every turn, and each
// command handler reading them once more, made a worker fall behind 200 orders/s (PERFORMANCE.md,
// session 9).

const orderId = 'order-1';
const at = '2026-01-01T00:00:00.000Z';
const event = (eventId: string, type: string, data: Record<string, unknown> = {}): CheckoutEvent => ({
  eventId,
  type,
  data: { orderId, at, ...data },
});
const usd = (amount: number) => ({ amount, currency: 'USD' });
const placed = event('placed', 'OrderPlaced', {
  customerId: 'c1',
  lines: [{ sku: 'A', quantity: 1, unitPrice: usd(100), lineTotal: usd(100) }],
  total: usd(100),
  paymentMethod: 'pm_card_visa',
  placedAt: at,
});
const lineReserved = event('line-A', 'OrderLineReserved', { sku: 'A', quantity: 1 });
const requested = event('requested', 'PaymentRequested', {
  amount: usd(100),
  paymentMethod: 'pm_card_visa',
  idempotencyKey: 'k',
  attempt: 1,
});
const authorizedOnOrder = event('order-authorized', 'OrderPaymentAuthorized', {
  paymentId: 'ref-1',
  amount: usd(100),
});
const confirmed = event('confirmed', 'OrderConfirmed');

/** The saga's knowledge after reading the order's stream up to OrderPlaced (version 1). */
const knownAfterPlacement = () => {
  const known = unread(initialState());
  known.state = evolve(known.state, placed);
  known.orderVersion = 1;
  known.current = true;
  return known;
};

describe("the checkout saga's knowledge of an order's streams", () => {
  it('takes in its own appends when their versions follow on from what it knew', () => {
    const known = knownAfterPlacement();
    const appended: Appended[] = [
      { to: 'order', events: [lineReserved], version: 2 },
      { to: 'payment', events: [requested], version: 1 },
    ];
    expect(foldAppended(known, appended, evolve)).toBe(true);
    expect(known).toMatchObject({ orderVersion: 2, paymentVersion: 1 });
    expect(known.state).toEqual([placed, lineReserved, requested].reduce(evolve, initialState()));
  });

  it('takes in two commands appended together to one stream, in the order they were sent', () => {
    const known = knownAfterPlacement();
    known.state = evolve(known.state, lineReserved);
    known.orderVersion = 2;
    // Decided together and appended as one batch: both answers carry the version after it.
    const appended: Appended[] = [
      { to: 'order', events: [authorizedOnOrder], version: 4 },
      { to: 'order', events: [confirmed], version: 4 },
    ];
    expect(foldAppended(known, appended, evolve)).toBe(true);
    expect(known.orderVersion).toBe(4);
    expect(known.state).toEqual(
      [placed, lineReserved, authorizedOnOrder, confirmed].reduce(evolve, initialState()),
    );
  });

  it('takes in nothing when another writer appended between (a gap in the versions)', () => {
    const known = knownAfterPlacement();
    const before = { ...known };
    // Version 3 for one event on top of version 1: someone else appended version 2.
    expect(foldAppended(known, [{ to: 'order', events: [lineReserved], version: 3 }], evolve)).toBe(false);
    expect(known).toEqual(before);
  });

  it('takes in nothing when a command appended nothing (its version proves nothing)', () => {
    const known = knownAfterPlacement();
    const before = { ...known };
    const appended: Appended[] = [
      { to: 'order', events: [], version: 1 },
      { to: 'payment', events: [requested], version: 1 },
    ];
    expect(foldAppended(known, appended, evolve)).toBe(false);
    expect(known).toEqual(before);
  });
});

/** The platform's store, with every read of an order's or payment's stream written down. */
function recordingReads(store: EventStore) {
  const reads: string[] = [];
  const watched = (streamId: string) => streamId.startsWith('order-') || streamId.startsWith('payment-');
  const recording: EventStore = Object.create(store) as EventStore;
  recording.readStream = (streamId, options) => {
    if (watched(streamId)) reads.push(`readStream ${streamId}`);
    return store.readStream(streamId, options);
  };
  recording.readStreams = (wanted) => {
    const ids = wanted.map((w) => w.streamId).filter(watched);
    if (ids.length > 0) reads.push(`readStreams ${ids.join(' ')}`);
    return store.readStreams(wanted);
  };
  return { store: recording, reads };
}

describe('the checkout saga reads (embedded profile, a saga of its own as in a worker process)', () => {
  let platform: Platform;
  beforeAll(async () => {
    // No workers: the saga under test is the only one driving the orders.
    platform = await openPlatform(
      loadConfig({
        DATA_DIR: 'memory://',
        LOG_LEVEL: 'silent',
        RATE_LIMITS: 'off',
        PASSWORD_HASH_COST: '10',
      }),
    );
  });
  afterAll(() => platform.close());

  /** A saga as a worker process has it: its own command handlers (nothing cached), reading through `store`. */
  function workerSaga(store: EventStore, gateway: PaymentGateway = platform.gateway) {
    return new CheckoutSaga({
      commands: createCommandHandlers(store),
      store,
      gateway,
      queue: platform.saga.queue,
    });
  }

  it('confirms an order with one read of its streams: each turn decides on what its own commands appended', async () => {
    await stockProduct(platform, 'READS-1', 5);
    await stockProduct(platform, 'READS-2', 5);
    const orderId = await checkout(platform, 'reads-1', [
      { sku: 'READS-1', quantity: 1 },
      { sku: 'READS-2', quantity: 2 },
    ]);
    const { store, reads } = recordingReads(platform.store);
    const saga = workerSaga(store);
    await saga.prepare([orderId]);
    await saga.drive(orderId);

    expect(await orderState(platform, orderId)).toMatchObject({ status: 'confirmed' });
    expect((await paymentOf(platform, orderId)).status).toBe('captured');
    expect(await inventoryOf(platform, 'READS-2')).toMatchObject({ onHand: 3, reserved: 0 });
    // The claim's read, and none after it: neither the saga's turns nor its commands' handlers read again.
    expect(reads).toEqual([`readStreams ${streams.order(orderId)} ${streams.payment(orderId)}`]);
  });

  it("reads the streams again once another writer's event shows (a customer's cancellation), and compensates", async () => {
    await stockProduct(platform, 'READS-3', 5);
    const orderId = await checkout(platform, 'reads-2', [{ sku: 'READS-3', quantity: 1 }]);
    const { store, reads } = recordingReads(platform.store);
    // The customer cancels (through another process's handler) while the gateway authorizes: the
    // saga's last read and its own appends say the order is pending.
    let cancelled = false;
    const gateway: PaymentGateway = Object.create(platform.gateway) as PaymentGateway;
    gateway.authorize = async (request) => {
      const answer = await platform.gateway.authorize(request);
      if (!cancelled) {
        cancelled = true;
        const result = await platform.commands.order.handle(
          streams.order(orderId),
          {
            type: 'CancelOrder',
            data: { orderId, reason: 'cancelled_by_customer', at: new Date().toISOString() },
          },
          { ...adminContext(), actor: { id: 'reads-2', role: 'customer' } },
        );
        expect(isRight(result)).toBe(true);
      }
      return answer;
    };
    const saga = workerSaga(store, gateway);
    await saga.prepare([orderId]);
    await saga.drive(orderId);

    expect(await orderState(platform, orderId)).toMatchObject({ status: 'cancelled' });
    expect(await inventoryOf(platform, 'READS-3')).toMatchObject({ onHand: 5, reserved: 0 });
    // Authorized before the cancellation showed, so the hold is voided.
    expect((await paymentOf(platform, orderId)).status).toBe('voided');
    // The claim's read, then at least one more: the cancellation was read, not assumed away.
    expect(reads.length).toBeGreaterThan(1);
    expect(reads[0]).toBe(`readStreams ${streams.order(orderId)} ${streams.payment(orderId)}`);
    const cancelledBy = (await platform.store.readStream(streams.order(orderId))).filter(
      (e) => e.type === 'OrderCancelled',
    );
    expect(cancelledBy.map((e) => e.metadata.actor.id)).toEqual(['reads-2']);
  });
});
