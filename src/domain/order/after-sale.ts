import { isLeft, left, right } from 'fp-ts/lib/Either.js';
import {
  cancelConfirmedOrderData,
  markShipmentDeliveredData,
  receiveReturnData,
  recordRefundFailedData,
  recordRefundIssuedData,
  recordStockReturnedData,
  requestRefundData,
  requestReturnData,
  shipOrderLinesData,
  type CancelConfirmedOrder,
  type MarkShipmentDelivered,
  type ReceiveReturn,
  type RecordRefundFailed,
  type RecordRefundIssued,
  type RecordStockReturned,
  type RequestRefund,
  type RequestReturn,
  type ShipOrderLines,
} from './commands.ts';
import { existingOrder, nothingHappens, reject, type Decision } from './decision.ts';
import { invalidCommandData } from './errors.ts';
import type { SkuQuantity } from './events.ts';
import {
  claimedUnits,
  deliveredUnits,
  orderedUnits,
  refundableAmount,
  returnableUnits,
  shippedUnits,
} from './queries.ts';
import type { OrderState, PlacedOrder } from './state.ts';

/**
 * The order after payment: shipments, delivery, an admin's cancellation, returns and refunds. Every
 * id (shipment, return, refund) comes from the client's Idempotency-Key, so a command repeated with
 * the same data changes nothing, and the same id with other data is refused as a reused key.
 */

const bySku = <L extends { sku: string }>(a: L, b: L) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);

const sameSkuLines = (a: readonly SkuQuantity[], b: readonly SkuQuantity[]) =>
  a.length === b.length &&
  [...a].sort(bySku).every((line, i) => {
    const other = [...b].sort(bySku)[i];
    return other !== undefined && other.sku === line.sku && other.quantity === line.quantity;
  });

/** A SKU named twice in one shipment, return or receipt: the client's mistake, told as invalid data. */
function duplicateSku(lines: readonly { sku: string }[]): Decision | undefined {
  const seen = new Set<string>();
  for (const { sku } of lines) {
    if (seen.has(sku))
      return reject('InvalidCommandData', `${sku} appears on two lines`, {
        fields: [{ field: 'lines', problem: `${sku} appears twice` }],
      });
    seen.add(sku);
  }
  return undefined;
}

const unknownLine = (order: PlacedOrder, lines: readonly { sku: string }[]): Decision | undefined => {
  const unknown = lines.find((line) => orderedUnits(order, line.sku) === 0);
  return unknown === undefined
    ? undefined
    : reject('UnknownOrderLine', `order ${order.orderId} has no line ${unknown.sku}`, { sku: unknown.sku });
};

/** Never more of a line than was ordered minus what already shipped; only a confirmed, unfinished order. */
export const shipOrderLines = (command: ShipOrderLines, state: OrderState): Decision => {
  const parsed = shipOrderLinesData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, shipmentId, lines, carrier, trackingNumber, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  const earlier = order.shipments.find((s) => s.shipmentId === shipmentId);
  if (earlier !== undefined)
    return sameSkuLines(earlier.lines, lines) &&
      earlier.carrier === carrier &&
      earlier.trackingNumber === trackingNumber
      ? nothingHappens
      : reject('ShipmentIdReused', `shipment ${shipmentId} was recorded with other data`, { shipmentId });
  if (order.status !== 'confirmed' && order.status !== 'partially_shipped')
    return reject('OrderNotShippable', `order ${orderId} is ${order.status}`, { status: order.status });
  const invalid = duplicateSku(lines) ?? unknownLine(order, lines);
  if (invalid) return invalid;
  for (const { sku, quantity } of lines) {
    const ordered = orderedUnits(order, sku);
    const shipped = shippedUnits(order, sku);
    if (quantity > ordered - shipped)
      return reject('ShipmentExceedsOrder', `only ${ordered - shipped} of ${sku} are left to ship`, {
        sku,
        ordered,
        shipped,
        quantity,
      });
  }
  return right([
    {
      type: 'OrderLinesShipped',
      data: { orderId, shipmentId, lines: [...lines].sort(bySku), carrier, trackingNumber, at },
    },
  ]);
};

export const markShipmentDelivered = (command: MarkShipmentDelivered, state: OrderState): Decision => {
  const parsed = markShipmentDeliveredData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, shipmentId, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const shipment = found.right.shipments.find((s) => s.shipmentId === shipmentId);
  if (shipment === undefined)
    return reject('ShipmentNotFound', `order ${orderId} has no shipment ${shipmentId}`, { shipmentId });
  if (shipment.deliveredAt !== null) return nothingHappens;
  return right([{ type: 'ShipmentDelivered', data: { orderId, shipmentId, at } }]);
};

/**
 * An admin cancels a paid order before any of it shipped: the cancellation and the refund of all that
 * was paid are one decision (one append), so the money cannot be forgotten by a crash in between.
 * The refund process then gives the stock and the money back.
 */
export const cancelConfirmedOrder = (command: CancelConfirmedOrder, state: OrderState): Decision => {
  const parsed = cancelConfirmedOrderData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, reason, refundId, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  if (order.status === 'cancelled') return nothingHappens;
  if (order.status !== 'confirmed')
    return reject('OrderNotCancellable', `order ${orderId} is ${order.status}`, { status: order.status });
  const remaining = refundableAmount(order);
  return right([
    { type: 'OrderCancelled', data: { orderId, reason, at, afterPayment: true } },
    ...(remaining > 0
      ? [
          {
            type: 'RefundRequested' as const,
            data: {
              orderId,
              refundId,
              amount: { amount: remaining, currency: order.total.currency },
              reason,
              at,
            },
          },
        ]
      : []),
  ]);
};

const RETURNABLE_STATUSES: readonly string[] = ['partially_shipped', 'shipped', 'delivered'];

/**
 * A customer asks to send back delivered units: never more than were delivered and not already asked
 * back (409), and only within the window after the delivery of the shipment they came in (422).
 */
export const requestReturn = (command: RequestReturn, state: OrderState): Decision => {
  const parsed = requestReturnData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, returnId, lines, reason, at, windowDays } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  const earlier = order.returns.find((r) => r.returnId === returnId);
  if (earlier !== undefined)
    return sameSkuLines(earlier.lines, lines) && earlier.reason === reason
      ? nothingHappens
      : reject('ReturnIdReused', `return ${returnId} was asked with other data`, { returnId });
  if (!RETURNABLE_STATUSES.includes(order.status))
    return reject('OrderNotReturnable', `order ${orderId} is ${order.status}`, { status: order.status });
  const invalid = duplicateSku(lines) ?? unknownLine(order, lines);
  if (invalid) return invalid;
  for (const { sku, quantity } of lines) {
    const open = deliveredUnits(order, sku) - claimedUnits(order, sku);
    if (quantity > open)
      return reject('ReturnExceedsDelivered', `only ${open} of ${sku} are delivered and not returned`, {
        sku,
        returnable: open,
        quantity,
      });
  }
  for (const { sku, quantity } of lines) {
    const returnable = returnableUnits(order, sku, at, windowDays);
    if (quantity > returnable)
      return reject('ReturnWindowClosed', `the return window of ${windowDays} days has closed for ${sku}`, {
        sku,
        returnable,
        quantity,
        windowDays,
      });
  }
  return right([
    { type: 'ReturnRequested', data: { orderId, returnId, lines: [...lines].sort(bySku), reason, at } },
  ]);
};

/**
 * An admin receives a return line by line (restock or write off): what arrived is refunded at the
 * price paid, in the same append, capped at what is still refundable.
 */
export const receiveReturn = (command: ReceiveReturn, state: OrderState): Decision => {
  const parsed = receiveReturnData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, returnId, lines, refundId, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  const asked = order.returns.find((r) => r.returnId === returnId);
  if (asked === undefined)
    return reject('ReturnNotFound', `order ${orderId} has no return ${returnId}`, { returnId });
  const sorted = [...lines].sort(bySku);
  if (asked.status === 'received') {
    const same =
      asked.received.length === sorted.length &&
      asked.received.every((line, i) => {
        const other = sorted[i]!;
        return line.sku === other.sku && line.quantity === other.quantity && line.restock === other.restock;
      });
    return same
      ? nothingHappens
      : reject('ReturnAlreadyReceived', `return ${returnId} was received already`, { returnId });
  }
  const invalid = duplicateSku(lines);
  if (invalid) return invalid;
  for (const { sku, quantity } of lines) {
    const requested = asked.lines.find((line) => line.sku === sku)?.quantity ?? 0;
    if (quantity > requested)
      return reject('ReceiptExceedsReturn', `return ${returnId} announced ${requested} of ${sku}`, {
        sku,
        requested,
        quantity,
      });
  }
  const value = lines.reduce((sum, { sku, quantity }) => {
    const line = order.lines.find((l) => l.sku === sku)!;
    return sum + line.unitPrice.amount * quantity;
  }, 0);
  const amount = Math.min(value, refundableAmount(order));
  return right([
    { type: 'ReturnReceived', data: { orderId, returnId, lines: sorted, at } },
    ...(amount > 0
      ? [
          {
            type: 'RefundRequested' as const,
            data: {
              orderId,
              refundId,
              amount: { amount, currency: order.total.currency },
              reason: `return ${returnId}`,
              at,
            },
          },
        ]
      : []),
  ]);
};

/** The refund process's record that units are back on hand: once per SKU of a cancellation or a return. */
export const recordStockReturned = (command: RecordStockReturned, state: OrderState): Decision => {
  const parsed = recordStockReturnedData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, sku, quantity, returnId, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  const event = right([
    { type: 'OrderStockReturned' as const, data: { orderId, sku, quantity, returnId, at } },
  ]);
  if (returnId === null) {
    if (!order.cancelledAfterPayment)
      return reject('StockNotHeld', `order ${orderId} was not cancelled after payment`, { sku });
    if (order.stockReturnedSkus.includes(sku)) return nothingHappens;
    const ordered = orderedUnits(order, sku);
    if (ordered !== quantity)
      return reject('LineQuantityMismatch', `line ${sku} is for ${ordered}`, { sku, ordered, quantity });
    return event;
  }
  const received = order.returns.find((r) => r.returnId === returnId);
  if (received === undefined)
    return reject('ReturnNotFound', `order ${orderId} has no return ${returnId}`, { returnId });
  const line = received.received.find((l) => l.sku === sku && l.restock);
  if (line === undefined)
    return reject('StockNotHeld', `return ${returnId} has no restocked ${sku}`, { returnId, sku });
  if (received.restockedSkus.includes(sku)) return nothingHappens;
  if (line.quantity !== quantity)
    return reject('LineQuantityMismatch', `${line.quantity} of ${sku} were received to restock`, {
      sku,
      received: line.quantity,
      quantity,
    });
  return event;
};

const REFUNDABLE_STATUSES: readonly string[] = ['confirmed', 'partially_shipped', 'shipped', 'delivered'];

/** Never more than was paid minus what was promised back already, whoever asks at the same moment. */
export const requestRefund = (command: RequestRefund, state: OrderState): Decision => {
  const parsed = requestRefundData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, refundId, amount, reason, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  const earlier = order.refunds.find((r) => r.refundId === refundId);
  if (earlier !== undefined)
    return earlier.amount.amount === amount.amount &&
      earlier.amount.currency === amount.currency &&
      earlier.reason === reason
      ? nothingHappens
      : reject('RefundIdReused', `refund ${refundId} was asked with other data`, { refundId });
  if (!REFUNDABLE_STATUSES.includes(order.status))
    return reject('OrderNotRefundable', `order ${orderId} is ${order.status}`, { status: order.status });
  if (amount.currency !== order.total.currency)
    return reject('CurrencyMismatch', `the order was paid in ${order.total.currency}`, {
      expected: order.total.currency,
      actual: amount.currency,
    });
  const refundable = refundableAmount(order);
  if (amount.amount > refundable)
    return reject('RefundExceedsPaid', `only ${refundable} minor units are left to refund`, {
      requested: amount.amount,
      refundable,
    });
  return right([{ type: 'RefundRequested', data: { orderId, refundId, amount, reason, at } }]);
};

export const recordRefundIssued = (command: RecordRefundIssued, state: OrderState): Decision => {
  const parsed = recordRefundIssuedData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, refundId, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const refund = found.right.refunds.find((r) => r.refundId === refundId);
  if (refund === undefined)
    return reject('RefundNotFound', `order ${orderId} has no refund ${refundId}`, { refundId });
  if (refund.status === 'issued') return nothingHappens;
  if (refund.status === 'rejected')
    return reject('RefundAlreadySettled', `refund ${refundId} was rejected`, { refundId });
  return right([{ type: 'RefundIssued', data: { orderId, refundId, amount: refund.amount, at } }]);
};

/** A failure the gateway may still turn around is retried (`failed`); a refusal ends the refund (`rejected`). */
export const recordRefundFailed = (command: RecordRefundFailed, state: OrderState): Decision => {
  const parsed = recordRefundFailedData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, refundId, reason, retryable, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const refund = found.right.refunds.find((r) => r.refundId === refundId);
  if (refund === undefined)
    return reject('RefundNotFound', `order ${orderId} has no refund ${refundId}`, { refundId });
  if (refund.status === 'issued' || refund.status === 'rejected')
    return reject('RefundAlreadySettled', `refund ${refundId} is ${refund.status}`, { refundId });
  const unchanged = refund.status === (retryable ? 'failed' : 'rejected') && refund.failureReason === reason;
  if (unchanged) return nothingHappens;
  return right([{ type: 'RefundFailed', data: { orderId, refundId, reason, retryable, at } }]);
};
