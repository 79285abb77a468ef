import { inventoryStream, type InventoryEvent } from '../domain/inventory/index.ts';
import type { Money } from '../domain/money.ts';
import { orderStream, type OrderEvent, type OrderPlaced, type PricedLine } from '../domain/order/index.ts';
import { paymentStream, type PaymentEvent } from '../domain/payment/index.ts';
import { streamCategory } from '../eventstore/validation.ts';
import type { RecordedEvent } from '../eventstore/event-store.ts';
import type { IntegrationEvent } from './events.ts';
import { NO_STOCK, crossedBelow, available, nextLevel, type StockLevel } from './stock-levels.ts';

/**
 * The one place that knows both sides: internal events in, integration events (events.ts) out.
 * Each internal event yields at most one integration event, which keeps the internal event's id:
 * the consumers' deduplication key, stable however often the relay publishes it again.
 */

/** What an order was placed with: later order and payment events only name the order. */
export type OrderFacts = Readonly<{ customerId: string; lines: readonly PricedLine[]; total: Money }>;

export type MappingState = {
  /** Facts of the orders whose later events may be mapped: filled from OrderPlaced, or preloaded. */
  readonly orders: Map<string, OrderFacts>;
  /** Stock levels per SKU, folded from every inventory event mapped so far. */
  readonly levels: Map<string, StockLevel>;
  readonly stockLowThreshold: number;
};

export class MissingOrderFactsError extends Error {
  override name = 'MissingOrderFactsError';
}

const factsOfPlaced = (data: OrderPlaced['data']): OrderFacts => ({
  customerId: data.customerId,
  lines: data.lines,
  total: data.total,
});

const linesOf = (lines: readonly PricedLine[]) =>
  lines.map(({ sku, quantity, unitPrice, lineTotal }) => ({
    sku,
    quantity,
    unitPrice: { amount: unitPrice.amount, currency: unitPrice.currency },
    lineTotal: { amount: lineTotal.amount, currency: lineTotal.currency },
  }));

const moneyOf = (money: Money) => ({ amount: money.amount, currency: money.currency });

/** The integration event for `event`, or undefined when it publishes nothing. Updates `state`. */
export function toIntegrationEvent(event: RecordedEvent, state: MappingState): IntegrationEvent | undefined {
  const head = {
    eventId: event.eventId,
    schemaVersion: 1 as const,
    occurredAt: event.metadata.occurredAt,
    correlationId: event.metadata.correlationId,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
  };
  const factsOf = (orderId: string) => {
    const facts = state.orders.get(orderId);
    if (!facts) throw new MissingOrderFactsError(`no OrderPlaced known for order ${orderId} (${event.type})`);
    return facts;
  };

  switch (streamCategory(event.streamId)) {
    case orderStream.category: {
      const e = event as unknown as OrderEvent;
      switch (e.type) {
        case 'OrderPlaced': {
          const facts = factsOfPlaced(e.data);
          state.orders.set(e.data.orderId, facts);
          return {
            ...head,
            type: 'OrderPlaced',
            data: {
              orderId: e.data.orderId,
              customerId: facts.customerId,
              lines: linesOf(facts.lines),
              total: moneyOf(facts.total),
              placedAt: e.data.placedAt,
            },
          };
        }
        case 'OrderConfirmed': {
          const facts = factsOf(e.data.orderId);
          return {
            ...head,
            type: 'OrderConfirmed',
            data: {
              orderId: e.data.orderId,
              customerId: facts.customerId,
              lines: linesOf(facts.lines),
              total: moneyOf(facts.total),
              confirmedAt: e.data.at,
            },
          };
        }
        case 'OrderCancelled': {
          const facts = factsOf(e.data.orderId);
          return {
            ...head,
            type: 'OrderCancelled',
            data: {
              orderId: e.data.orderId,
              customerId: facts.customerId,
              reason: e.data.reason,
              total: moneyOf(facts.total),
              cancelledAt: e.data.at,
            },
          };
        }
        case 'OrderLinesShipped':
        case 'OrderShipped': {
          const facts = factsOf(e.data.orderId);
          // An order shipped whole before partial shipments: one shipment of every line, named after the order.
          const shipment =
            e.type === 'OrderLinesShipped'
              ? e.data
              : {
                  shipmentId: e.data.orderId,
                  lines: facts.lines,
                  carrier: null,
                  trackingNumber: null,
                };
          return {
            ...head,
            type: 'OrderShipped',
            data: {
              orderId: e.data.orderId,
              customerId: facts.customerId,
              shipmentId: shipment.shipmentId,
              lines: shipment.lines.map(({ sku, quantity }) => ({ sku, quantity })),
              carrier: shipment.carrier,
              trackingNumber: shipment.trackingNumber,
              shippedAt: e.data.at,
            },
          };
        }
        case 'ShipmentDelivered':
          return {
            ...head,
            type: 'OrderDelivered',
            data: {
              orderId: e.data.orderId,
              customerId: factsOf(e.data.orderId).customerId,
              shipmentId: e.data.shipmentId,
              deliveredAt: e.data.at,
            },
          };
        case 'ReturnRequested':
          return {
            ...head,
            type: 'ReturnRequested',
            data: {
              orderId: e.data.orderId,
              customerId: factsOf(e.data.orderId).customerId,
              returnId: e.data.returnId,
              lines: e.data.lines.map(({ sku, quantity }) => ({ sku, quantity })),
              reason: e.data.reason,
              requestedAt: e.data.at,
            },
          };
        case 'ReturnReceived':
          return {
            ...head,
            type: 'ReturnReceived',
            data: {
              orderId: e.data.orderId,
              customerId: factsOf(e.data.orderId).customerId,
              returnId: e.data.returnId,
              lines: e.data.lines.map(({ sku, quantity, restock }) => ({ sku, quantity, restock })),
              receivedAt: e.data.at,
            },
          };
        case 'RefundIssued':
        case 'OrderRefunded':
          return {
            ...head,
            type: 'OrderRefunded',
            data: {
              orderId: e.data.orderId,
              customerId: factsOf(e.data.orderId).customerId,
              // An old whole-order refund had no id: it is named as the order domain reads it.
              refundId: e.type === 'RefundIssued' ? e.data.refundId : `${e.data.orderId}:refund`,
              amount: moneyOf(e.data.amount),
              refundedAt: e.data.at,
            },
          };
        default:
          return undefined;
      }
    }
    case paymentStream.category: {
      const e = event as unknown as PaymentEvent;
      if (e.type !== 'PaymentFailed') return undefined;
      const facts = factsOf(e.data.orderId);
      return {
        ...head,
        type: 'PaymentFailed',
        data: {
          orderId: e.data.orderId,
          customerId: facts.customerId,
          amount: moneyOf(facts.total),
          attempt: e.data.attempt,
          reason: e.data.reason,
          failedAt: e.data.at,
        },
      };
    }
    case inventoryStream.category: {
      const e = event as unknown as InventoryEvent;
      const before = state.levels.get(e.data.sku) ?? NO_STOCK;
      const after = nextLevel(before, e);
      state.levels.set(e.data.sku, after);
      if (!crossedBelow(before, after, state.stockLowThreshold)) return undefined;
      return {
        ...head,
        type: 'StockLow',
        data: {
          sku: e.data.sku,
          available: available(after),
          onHand: after.onHand,
          threshold: state.stockLowThreshold,
          detectedAt: event.metadata.occurredAt,
        },
      };
    }
    default:
      return undefined;
  }
}

/** The internal events whose integration event carries facts of the order's placement (its customer, lines). */
const NEEDS_ORDER_FACTS: ReadonlySet<string> = new Set([
  'OrderConfirmed',
  'OrderCancelled',
  'PaymentFailed',
  'OrderLinesShipped',
  'OrderShipped',
  'ShipmentDelivered',
  'ReturnRequested',
  'ReturnReceived',
  'RefundIssued',
  'OrderRefunded',
]);

/** The orders whose facts mapping `events` needs and that are neither known nor placed within them. */
export function ordersToLoad(
  events: readonly RecordedEvent[],
  known: ReadonlyMap<string, OrderFacts>,
): string[] {
  const placedHere = new Set<string>();
  const missing = new Set<string>();
  for (const event of events) {
    const c = streamCategory(event.streamId);
    if (c !== orderStream.category && c !== paymentStream.category) continue;
    const { orderId } = event.data as { orderId: string };
    if (event.type === 'OrderPlaced') placedHere.add(orderId);
    else if (NEEDS_ORDER_FACTS.has(event.type))
      if (!known.has(orderId) && !placedHere.has(orderId)) missing.add(orderId);
  }
  return [...missing];
}

/** The SKUs whose stock levels mapping `events` folds. */
export const skusTouched = (events: readonly RecordedEvent[]): string[] => [
  ...new Set(
    events
      .filter((e) => streamCategory(e.streamId) === inventoryStream.category)
      .map((e) => (e.data as { sku: string }).sku),
  ),
];

/** Reads an order's facts from its OrderPlaced event (what `ordersToLoad` asks for). */
export const orderFactsFrom = (placed: RecordedEvent | undefined): OrderFacts | undefined =>
  placed?.type === 'OrderPlaced' ? factsOfPlaced(placed.data as OrderPlaced['data']) : undefined;
