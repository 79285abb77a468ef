import { ORDER_EVENT_TYPES } from '../../domain/event-types.ts';
import type { Money } from '../../domain/money.ts';
import {
  orderDecider,
  returnedUnits,
  shippedUnits,
  type OrderEvent,
  type OrderState,
  type PlacedOrder,
} from '../../domain/order/index.ts';

/**
 * What people see of an order: the order page (`GET /orders/:id`, read from its stream) and the order
 * lists (read from the order-history rows) show the same view of the same folded state.
 */

export type TimelineEntry = Readonly<{ event: string; status: string; at: string } & Record<string, unknown>>;

export type OrderView = Readonly<{
  orderId: string;
  customerId: string;
  status: string;
  lines: readonly Readonly<{
    sku: string;
    quantity: number;
    unitPrice: Money;
    lineTotal: Money;
    shipped: number;
    returned: number;
  }>[];
  total: Money;
  refunded: Money;
  shipments: readonly Readonly<{
    shipmentId: string;
    lines: readonly Readonly<{ sku: string; quantity: number }>[];
    carrier: string | null;
    trackingNumber: string | null;
    shippedAt: string;
    deliveredAt?: string;
  }>[];
  returns: readonly Readonly<{
    returnId: string;
    status: string;
    lines: readonly Readonly<{ sku: string; quantity: number }>[];
    reason: string;
    requestedAt: string;
    received?: readonly Readonly<{ sku: string; quantity: number; restock: boolean }>[];
    receivedAt?: string;
  }>[];
  refunds: readonly Readonly<{
    refundId: string;
    amount: Money;
    status: string;
    reason: string;
    failureReason?: string;
    requestedAt: string;
    issuedAt?: string;
  }>[];
  createdAt: string;
  updatedAt: string;
  reason?: string;
}>;

export function orderView(order: PlacedOrder): OrderView {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    status: order.status,
    lines: order.lines.map((line) => ({
      ...line,
      shipped: shippedUnits(order, line.sku),
      returned: returnedUnits(order, line.sku),
    })),
    total: order.total,
    refunded: { amount: order.refunded, currency: order.total.currency },
    shipments: order.shipments.map(({ deliveredAt, ...shipment }) => ({
      ...shipment,
      ...(deliveredAt ? { deliveredAt } : {}),
    })),
    returns: order.returns.map((r) => ({
      returnId: r.returnId,
      status: r.status,
      lines: r.lines,
      reason: r.reason,
      requestedAt: r.requestedAt,
      ...(r.status === 'received' ? { received: r.received, receivedAt: r.receivedAt! } : {}),
    })),
    refunds: order.refunds.map((r) => ({
      refundId: r.refundId,
      amount: r.amount,
      status: r.status,
      reason: r.reason,
      ...(r.failureReason ? { failureReason: r.failureReason } : {}),
      requestedAt: r.requestedAt,
      ...(r.issuedAt ? { issuedAt: r.issuedAt } : {}),
    })),
    createdAt: order.placedAt,
    updatedAt: order.updatedAt,
    ...(order.cancellationReason ? { reason: order.cancellationReason } : {}),
  };
}

/** The checkout saga's own progress records (a line reserved, the payment authorized): not for people. */
const CHECKOUT_PROGRESS = [
  'OrderLineReserved',
  'OrderStockRejected',
  'OrderPaymentAuthorized',
  'OrderPaymentFailed',
] as const satisfies readonly OrderEvent['type'][];

type TimelineEventType = Exclude<OrderEvent['type'], (typeof CHECKOUT_PROGRESS)[number]>;

/** The events of an order's life that people see on its timeline: all but the saga's progress records. */
export const TIMELINE_EVENT_TYPES: readonly TimelineEventType[] = ORDER_EVENT_TYPES.filter(
  (type): type is TimelineEventType => !(CHECKOUT_PROGRESS as readonly string[]).includes(type),
);

/** What one event adds to the timeline: its type, the status it left, when it was recorded, and its facts. */
export function timelineEntry(event: OrderEvent, statusAfter: string, recordedAt: string): TimelineEntry {
  const entry = { event: event.type, status: statusAfter, at: recordedAt };
  switch (event.type) {
    case 'OrderCancelled':
      return { ...entry, reason: event.data.reason };
    case 'OrderLinesShipped': {
      const { shipmentId, lines, carrier, trackingNumber } = event.data;
      return { ...entry, shipmentId, lines, carrier, trackingNumber };
    }
    case 'ShipmentDelivered':
      return { ...entry, shipmentId: event.data.shipmentId };
    case 'ReturnRequested':
    case 'ReturnReceived':
      return { ...entry, returnId: event.data.returnId, lines: event.data.lines };
    case 'OrderStockReturned': {
      const { sku, quantity, returnId } = event.data;
      return { ...entry, sku, quantity, ...(returnId ? { returnId } : {}) };
    }
    case 'RefundRequested':
      return {
        ...entry,
        refundId: event.data.refundId,
        amount: event.data.amount,
        reason: event.data.reason,
      };
    case 'RefundIssued':
      return { ...entry, refundId: event.data.refundId, amount: event.data.amount };
    case 'RefundFailed':
      return {
        ...entry,
        refundId: event.data.refundId,
        reason: event.data.reason,
        retryable: event.data.retryable,
      };
    case 'OrderRefunded':
      return { ...entry, amount: event.data.amount, reason: event.data.reason };
    default:
      return entry;
  }
}

const onTimeline: ReadonlySet<string> = new Set(TIMELINE_EVENT_TYPES);

/**
 * Whether people see the event on the order's timeline. A fraud decision shows only when it holds the
 * order for review: an allowed order, or one decided in shadow mode, goes on as if nothing was asked,
 * and a refused one shows as its cancellation.
 */
export const seenOnTimeline = (event: OrderEvent): boolean =>
  event.type !== 'OrderScreened' || (event.data.enforced && event.data.decision === 'review');

/** An order folded from its recorded events, with the timeline of the ones people see. */
export function foldWithTimeline(
  events: readonly Readonly<{ type: string; data: unknown; recordedAt: string }>[],
): { state: OrderState; timeline: TimelineEntry[] } {
  let state = orderDecider.initialState();
  const timeline: TimelineEntry[] = [];
  for (const recorded of events) {
    const event = { type: recorded.type, data: recorded.data } as OrderEvent;
    state = orderDecider.evolve(state, event);
    if (onTimeline.has(event.type) && seenOnTimeline(event) && state.status !== 'not_placed')
      timeline.push(timelineEntry(event, state.status, recorded.recordedAt));
  }
  return { state, timeline };
}
