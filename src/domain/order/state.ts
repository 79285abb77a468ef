import type { FraudDecision } from '../fraud/rules.ts';
import type { Money } from '../money.ts';
import type { OrderEvent, PricedLine, SkuQuantity } from './events.ts';

/** `review`: held by a fraud rule before any stock was reserved, until an admin decides. */
export type OrderStatus =
  | 'pending'
  | 'review'
  | 'confirmed'
  | 'partially_shipped'
  | 'shipped'
  | 'delivered'
  | 'cancelled'
  | 'refunded';

/** The fraud rules' decision on the order (see `OrderScreened`). */
export type Screening = Readonly<{
  decision: FraudDecision;
  rule: string | null;
  enforced: boolean;
  at: string;
}>;

/** The cancellation reason of an order the fraud rules refused, or an admin rejected after review. */
export const FRAUD_CANCELLATION = 'fraud_suspected';

/** `carrier` and `trackingNumber` are null only for a shipment read from an old whole-order `OrderShipped`. */
export type Shipment = Readonly<{
  shipmentId: string;
  lines: readonly SkuQuantity[];
  carrier: string | null;
  trackingNumber: string | null;
  shippedAt: string;
  deliveredAt: string | null;
}>;

export type ReceivedLine = Readonly<{ sku: string; quantity: number; restock: boolean }>;

export type OrderReturn = Readonly<{
  returnId: string;
  status: 'requested' | 'received';
  /** What the customer said they send back. */
  lines: readonly SkuQuantity[];
  reason: string;
  requestedAt: string;
  /** What arrived (empty until received), and which of its SKUs are back on hand. */
  received: readonly ReceivedLine[];
  receivedAt: string | null;
  restockedSkus: readonly string[];
}>;

/** `failed`: the gateway did not answer or was unavailable, the process retries; `rejected`: it refused. */
export type RefundStatus = 'requested' | 'failed' | 'issued' | 'rejected';

export type Refund = Readonly<{
  refundId: string;
  amount: Money;
  reason: string;
  status: RefundStatus;
  failureReason: string | null;
  requestedAt: string;
  issuedAt: string | null;
}>;

export type PlacedOrder = Readonly<{
  status: OrderStatus;
  orderId: string;
  customerId: string;
  lines: readonly PricedLine[];
  total: Money;
  paymentMethod: string;
  /** The keyed hash of the client's address the order was placed from, when known. */
  clientKey: string | null;
  /** The fraud rules' decision (null: not screened, or placed before the rules existed). */
  screening: Screening | null;
  /** An admin's decision on the order after it was held for review. */
  review: Readonly<{ decision: 'approve' | 'reject'; at: string }> | null;
  /** Where the checkout saga is: which lines hold stock, whether the money is there. */
  reservedSkus: readonly string[];
  stockRejection: Readonly<{ sku: string; requested: number; available: number }> | null;
  paymentAuthorized: boolean;
  paymentId: string | null;
  paymentFailureReason: string | null;
  cancellationReason: string | null;
  confirmedAt: string | null;
  /** Cancelled by an admin after payment: the refund process gives its stock back (these SKUs are done). */
  cancelledAfterPayment: boolean;
  stockReturnedSkus: readonly string[];
  shipments: readonly Shipment[];
  returns: readonly OrderReturn[];
  refunds: readonly Refund[];
  /** Minor units refunded so far (issued refunds). */
  refunded: number;
  placedAt: string;
  updatedAt: string;
}>;

export type OrderState = Readonly<{ status: 'not_placed' }> | PlacedOrder;

export const initialState = (): OrderState => ({ status: 'not_placed' });

const unitsOf = (lines: readonly SkuQuantity[]) => lines.reduce((sum, line) => sum + line.quantity, 0);

/**
 * The status after payment, from the facts: the one place it is decided (`evolve` calls it; the order
 * history folds with `evolve`). A cancelled order stays cancelled, whatever goes back.
 */
export function statusOf(order: PlacedOrder): OrderStatus {
  if (order.status === 'pending' || order.status === 'review' || order.status === 'cancelled')
    return order.status;
  if (order.refunded > 0 && order.refunded >= order.total.amount) return 'refunded';
  const shipped = order.shipments.reduce((sum, shipment) => sum + unitsOf(shipment.lines), 0);
  if (shipped === 0) return 'confirmed';
  if (shipped < unitsOf(order.lines)) return 'partially_shipped';
  return order.shipments.every((shipment) => shipment.deliveredAt !== null) ? 'delivered' : 'shipped';
}

const afterPayment = (order: PlacedOrder): PlacedOrder => ({ ...order, status: statusOf(order) });

const replaceReturn = (order: PlacedOrder, returnId: string, change: (r: OrderReturn) => OrderReturn) =>
  order.returns.map((r) => (r.returnId === returnId ? change(r) : r));

const replaceRefund = (order: PlacedOrder, refundId: string, change: (r: Refund) => Refund) =>
  order.refunds.map((r) => (r.refundId === refundId ? change(r) : r));

export const evolve = (state: OrderState, event: OrderEvent): OrderState => {
  if (event.type === 'OrderPlaced') {
    const { orderId, customerId, lines, total, paymentMethod, placedAt } = event.data;
    return {
      status: 'pending',
      orderId,
      customerId,
      lines,
      total,
      paymentMethod,
      clientKey: event.data.clientKey ?? null,
      screening: null,
      review: null,
      reservedSkus: [],
      stockRejection: null,
      paymentAuthorized: false,
      paymentId: null,
      paymentFailureReason: null,
      cancellationReason: null,
      confirmedAt: null,
      cancelledAfterPayment: false,
      stockReturnedSkus: [],
      shipments: [],
      returns: [],
      refunds: [],
      refunded: 0,
      placedAt,
      updatedAt: placedAt,
    };
  }
  if (state.status === 'not_placed') return state;
  const order = { ...state, updatedAt: event.data.at };
  switch (event.type) {
    case 'OrderScreened': {
      const { decision, rule, enforced, at } = event.data;
      const held = enforced && decision === 'review';
      return {
        ...order,
        status: held ? 'review' : state.status,
        screening: { decision, rule, enforced, at },
      };
    }
    case 'OrderReviewed': {
      const { decision, at } = event.data;
      // Rejected, the order stays held until its cancellation (recorded with the review) ends it.
      return {
        ...order,
        status: decision === 'approve' ? 'pending' : state.status,
        review: { decision, at },
      };
    }
    case 'OrderLineReserved':
      return { ...order, reservedSkus: [...state.reservedSkus, event.data.sku].sort() };
    case 'OrderStockRejected': {
      const { sku, requested, available } = event.data;
      return { ...order, stockRejection: { sku, requested, available } };
    }
    case 'OrderPaymentAuthorized':
      return { ...order, paymentAuthorized: true, paymentId: event.data.paymentId };
    case 'OrderPaymentFailed':
      return { ...order, paymentFailureReason: event.data.reason };
    case 'OrderConfirmed':
      return { ...order, status: 'confirmed', confirmedAt: event.data.at };
    case 'OrderCancelled':
      return {
        ...order,
        status: 'cancelled',
        cancellationReason: event.data.reason,
        cancelledAfterPayment: event.data.afterPayment === true,
      };
    case 'OrderShipped':
      // Written before partial shipments: the whole order left at once.
      return afterPayment({
        ...order,
        shipments: [
          {
            shipmentId: state.orderId,
            lines: state.lines.map(({ sku, quantity }) => ({ sku, quantity })),
            carrier: null,
            trackingNumber: null,
            shippedAt: event.data.at,
            deliveredAt: null,
          },
        ],
      });
    case 'OrderRefunded': {
      // Written before refunds had ids: the whole total went back.
      const { amount, reason, at } = event.data;
      const refund: Refund = {
        refundId: `${state.orderId}:refund`,
        amount,
        reason,
        status: 'issued',
        failureReason: null,
        requestedAt: at,
        issuedAt: at,
      };
      return afterPayment({
        ...order,
        refunds: [...state.refunds, refund],
        refunded: state.refunded + amount.amount,
      });
    }
    case 'OrderLinesShipped': {
      const { shipmentId, lines, carrier, trackingNumber, at } = event.data;
      const shipment: Shipment = {
        shipmentId,
        lines,
        carrier,
        trackingNumber,
        shippedAt: at,
        deliveredAt: null,
      };
      return afterPayment({ ...order, shipments: [...state.shipments, shipment] });
    }
    case 'ShipmentDelivered': {
      const { shipmentId, at } = event.data;
      const shipments = state.shipments.map((s) =>
        s.shipmentId === shipmentId ? { ...s, deliveredAt: at } : s,
      );
      return afterPayment({ ...order, shipments });
    }
    case 'ReturnRequested': {
      const { returnId, lines, reason, at } = event.data;
      const requested: OrderReturn = {
        returnId,
        status: 'requested',
        lines,
        reason,
        requestedAt: at,
        received: [],
        receivedAt: null,
        restockedSkus: [],
      };
      return { ...order, returns: [...state.returns, requested] };
    }
    case 'ReturnReceived': {
      const { returnId, lines, at } = event.data;
      const returns = replaceReturn(state, returnId, (r) => ({
        ...r,
        status: 'received',
        received: lines,
        receivedAt: at,
      }));
      return { ...order, returns };
    }
    case 'OrderStockReturned': {
      const { returnId, sku } = event.data;
      if (returnId === null) return { ...order, stockReturnedSkus: [...state.stockReturnedSkus, sku] };
      const returns = replaceReturn(state, returnId, (r) => ({
        ...r,
        restockedSkus: [...r.restockedSkus, sku],
      }));
      return { ...order, returns };
    }
    case 'RefundRequested': {
      const { refundId, amount, reason, at } = event.data;
      const refund: Refund = {
        refundId,
        amount,
        reason,
        status: 'requested',
        failureReason: null,
        requestedAt: at,
        issuedAt: null,
      };
      return { ...order, refunds: [...state.refunds, refund] };
    }
    case 'RefundIssued': {
      const { refundId, amount, at } = event.data;
      const refunds = replaceRefund(state, refundId, (r) => ({ ...r, status: 'issued', issuedAt: at }));
      return afterPayment({ ...order, refunds, refunded: state.refunded + amount.amount });
    }
    case 'RefundFailed': {
      const { refundId, reason, retryable } = event.data;
      const refunds = replaceRefund(state, refundId, (r) => ({
        ...r,
        status: retryable ? 'failed' : 'rejected',
        failureReason: reason,
      }));
      return { ...order, refunds };
    }
  }
};
