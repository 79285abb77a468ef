import { isLeft } from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { adminContext, checkout, paymentOf, settled, stockProduct } from '../support/shop.ts';

// Causation for auditors: every event the checkout saga (or the reservation timer) writes names as
// its cause the event that caused it, so an order's history reads as a chain from its OrderPlaced
// (the fraud rules' decision, recorded before any stock is reserved, included).

const writtenBySaga = (event: RecordedEvent) =>
  event.metadata.actor.id === 'checkout-saga' || event.metadata.actor.id === 'reservation-timer';

/** The order's stream, its payment's, and its reservations' events in its SKUs' inventory streams. */
async function historyOf(t: TestApp, orderId: string, skus: readonly string[]) {
  const { store } = t.platform;
  const inventory = await Promise.all(skus.map((sku) => store.readStream(streams.inventory(sku))));
  return [
    ...(await store.readStream(streams.order(orderId))),
    ...(await store.readStream(streams.payment(orderId))),
    ...inventory.flat().filter((e) => (e.data as { reservationId?: string }).reservationId === orderId),
  ].sort((a, b) => a.globalPosition - b.globalPosition);
}

/** Checks every saga-written event's cause, and returns each event's type with its cause's type. */
function walkCauses(history: readonly RecordedEvent[]) {
  const byId = new Map(history.map((event) => [event.eventId, event]));
  const placed = history.find((event) => event.type === 'OrderPlaced')!;
  const links: string[] = [];
  for (const event of history.filter(writtenBySaga)) {
    const cause = byId.get(event.metadata.causationId ?? '');
    expect(cause, `the cause of ${event.type} is an event of the order's history`).toBeDefined();
    expect(cause!.globalPosition, `${event.type} comes after its cause`).toBeLessThan(event.globalPosition);
    links.push(`${event.type} <- ${cause!.type}`);
    // Cause by cause, back to the order's placement.
    let step: RecordedEvent = event;
    for (let hops = 0; step !== placed; hops++) {
      expect(hops, `${event.type}'s chain of causes reaches the OrderPlaced`).toBeLessThan(history.length);
      step = byId.get(step.metadata.causationId ?? '')!;
      expect(step, `${event.type}'s chain of causes stays in the order's history`).toBeDefined();
    }
  }
  return links;
}

describe('causation ids written by the checkout saga', () => {
  let t: TestApp;
  beforeAll(async () => (t = await testApp('embedded', { PAYMENT_TIMEOUT_MS: '500' })));
  afterAll(() => t.close());

  it("chain a confirmed order's history back to its OrderPlaced", async () => {
    await stockProduct(t.platform, 'CAUSE-A', 5, 1000);
    await stockProduct(t.platform, 'CAUSE-B', 5, 250);
    const orderId = await checkout(t.platform, 'cause-1', [
      { sku: 'CAUSE-A', quantity: 1 },
      { sku: 'CAUSE-B', quantity: 2 },
    ]);
    expect(await settled(t.platform, orderId)).toMatchObject({ status: 'confirmed' });
    await expect.poll(async () => (await paymentOf(t.platform, orderId)).status).toBe('captured');

    const links = walkCauses(await historyOf(t, orderId, ['CAUSE-A', 'CAUSE-B']));
    expect(links.sort()).toEqual(
      [
        'OrderScreened <- OrderPlaced',
        'StockReserved <- OrderPlaced',
        'StockReserved <- OrderPlaced',
        'OrderLineReserved <- StockReserved',
        'OrderLineReserved <- StockReserved',
        'PaymentRequested <- StockReserved',
        'PaymentAuthorized <- PaymentRequested',
        'ReservationCommitted <- PaymentAuthorized',
        'ReservationCommitted <- PaymentAuthorized',
        'OrderPaymentAuthorized <- PaymentAuthorized',
        'OrderConfirmed <- PaymentAuthorized',
        'PaymentCaptured <- OrderConfirmed',
      ].sort(),
    );
  });

  it("chain a declined order's history back to its OrderPlaced", async () => {
    await stockProduct(t.platform, 'CAUSE-C', 5);
    const orderId = await checkout(
      t.platform,
      'cause-2',
      [{ sku: 'CAUSE-C', quantity: 2 }],
      'pm_card_chargeDeclined',
    );
    expect(await settled(t.platform, orderId)).toMatchObject({ status: 'cancelled' });
    const released = async () =>
      (await historyOf(t, orderId, ['CAUSE-C'])).some((e) => e.type === 'ReservationReleased');
    await expect.poll(released).toBe(true);

    const links = walkCauses(await historyOf(t, orderId, ['CAUSE-C']));
    expect(links.sort()).toEqual(
      [
        'OrderScreened <- OrderPlaced',
        'StockReserved <- OrderPlaced',
        'OrderLineReserved <- StockReserved',
        'PaymentRequested <- StockReserved',
        'PaymentFailed <- PaymentRequested',
        'OrderPaymentFailed <- PaymentFailed',
        'OrderCancelled <- OrderPaymentFailed',
        'ReservationReleased <- OrderCancelled',
      ].sort(),
    );
  });

  it('chain the history of an order it could not fill back to its OrderPlaced', async () => {
    await stockProduct(t.platform, 'CAUSE-D', 5);
    await stockProduct(t.platform, 'CAUSE-E', 1);
    const orderId = await checkout(t.platform, 'cause-3', [
      { sku: 'CAUSE-D', quantity: 1 },
      { sku: 'CAUSE-E', quantity: 2 },
    ]);
    expect(await settled(t.platform, orderId)).toMatchObject({ status: 'cancelled' });
    const released = async () =>
      (await historyOf(t, orderId, ['CAUSE-D'])).some((e) => e.type === 'ReservationReleased');
    await expect.poll(released).toBe(true);

    const links = walkCauses(await historyOf(t, orderId, ['CAUSE-D', 'CAUSE-E']));
    expect(links.sort()).toEqual(
      [
        'OrderScreened <- OrderPlaced',
        'StockReserved <- OrderPlaced',
        'OrderLineReserved <- StockReserved',
        'OrderStockRejected <- OrderPlaced',
        'OrderCancelled <- OrderStockRejected',
        'ReservationReleased <- OrderCancelled',
      ].sort(),
    );
  });

  it('name the StockReserved each expired reservation was made by (the reservation timer)', async () => {
    await stockProduct(t.platform, 'CAUSE-F', 5);
    const inventory = streams.inventory('CAUSE-F');
    const reserve = async (reservationId: string, expiresAt: string) => {
      const reserved = await t.platform.commands.inventory.handle(
        inventory,
        {
          type: 'ReserveStock',
          data: { sku: 'CAUSE-F', reservationId, quantity: 1, now: '2026-01-01T00:00:00.000Z', expiresAt },
        },
        adminContext(),
      );
      if (isLeft(reserved)) throw new Error(reserved.left.code);
    };
    await reserve('stale-1', '2026-01-01T00:01:00.000Z');
    await reserve('stale-2', '2026-01-01T00:02:00.000Z');

    const expired = async () =>
      (await t.platform.store.readStream(inventory)).filter((e) => e.type === 'ReservationExpired');
    await expect.poll(async () => (await expired()).length, { timeout: 10_000 }).toBe(2);
    const events = await t.platform.store.readStream(inventory);
    for (const reservationId of ['stale-1', 'stale-2']) {
      const about = events.filter(
        (e) => (e.data as { reservationId?: string }).reservationId === reservationId,
      );
      const [reserved, expiry] = about;
      expect(about.map((e) => e.type)).toEqual(['StockReserved', 'ReservationExpired']);
      expect(expiry!.metadata).toMatchObject({
        actor: { id: 'reservation-timer' },
        causationId: reserved!.eventId,
      });
    }
  });
});
