import { v7 as uuidv7 } from 'uuid';
import type { EventStore, NewEvent } from '../../../src/eventstore/event-store.ts';

/**
 * Orders written straight into the event store, the way the checkout saga leaves them, many at a time:
 * for the relay tests, which are about the log and Kafka, not about checkout. Every fourth order's
 * payment fails (PaymentFailed, then OrderCancelled); the rest are confirmed. Each order reserves one
 * unit of `sku`, so its stock runs low near the end.
 */
export async function appendOrders(store: EventStore, count: number, sku: string, firstStock = false) {
  const at = () => new Date().toISOString();
  const meta = (correlationId: string) => ({
    correlationId,
    causationId: null,
    actor: { id: 'test', role: 'system' },
    occurredAt: at(),
  });
  const append = (streamId: string, events: Omit<NewEvent, 'metadata'>[], correlationId: string) =>
    store.append(
      streamId,
      events.map((e) => ({ ...e, metadata: meta(correlationId) })),
      'any',
    );
  if (firstStock)
    await append(
      `inventory-${sku}`,
      [{ type: 'StockReceived', data: { sku, quantity: count + 2 } }],
      uuidv7(),
    );
  const orderIds: string[] = [];
  for (let i = 0; i < count; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, count - i) }, async (_, j) => {
        const n = i + j;
        const orderId = uuidv7();
        orderIds.push(orderId);
        const correlationId = uuidv7();
        const price = { amount: 1000 + (n % 7) * 100, currency: 'USD' };
        await append(
          `order-${orderId}`,
          [
            {
              type: 'OrderPlaced',
              data: {
                orderId,
                customerId: `customer-${n % 13}`,
                lines: [{ sku, quantity: 1, unitPrice: price, lineTotal: price }],
                total: price,
                paymentMethod: 'pm_card_visa',
                placedAt: at(),
              },
            },
          ],
          correlationId,
        );
        await append(
          `inventory-${sku}`,
          [
            {
              type: 'StockReserved',
              data: { sku, reservationId: orderId, quantity: 1, expiresAt: at(), reservedAt: at() },
            },
          ],
          correlationId,
        );
        if (n % 4 === 3) {
          await append(
            `payment-${orderId}`,
            [{ type: 'PaymentFailed', data: { orderId, attempt: 1, reason: 'generic_decline', at: at() } }],
            correlationId,
          );
          await append(
            `order-${orderId}`,
            [{ type: 'OrderCancelled', data: { orderId, reason: 'payment_failed', at: at() } }],
            correlationId,
          );
        } else {
          await append(
            `order-${orderId}`,
            [{ type: 'OrderConfirmed', data: { orderId, at: at() } }],
            correlationId,
          );
        }
      }),
    );
  }
  return orderIds;
}
