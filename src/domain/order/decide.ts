import { isLeft, left, right } from 'fp-ts/lib/Either.js';
import { sameMoney } from '../money.ts';
import { isGatewayToken, PAYMENT_METHOD_RULE } from '../payment/card-data.ts';
import {
  cancelOrderData,
  confirmOrderData,
  placeOrderData,
  recordLineReservedData,
  recordPaymentAuthorizedData,
  recordPaymentFailedData,
  rejectForStockData,
  reviewOrderData,
  screenOrderData,
  type CancelOrder,
  type ConfirmOrder,
  type OrderCommand,
  type PlaceOrder,
  type RecordLineReserved,
  type RecordPaymentAuthorized,
  type RecordPaymentFailed,
  type RejectForStock,
  type ReviewOrder,
  type ScreenOrder,
} from './commands.ts';
import {
  cancelConfirmedOrder,
  markShipmentDelivered,
  receiveReturn,
  recordRefundFailed,
  recordRefundIssued,
  recordStockReturned,
  requestRefund,
  requestReturn,
  shipOrderLines,
} from './after-sale.ts';
import { existingOrder, nothingHappens, reject, type Decision } from './decision.ts';
import { invalidCommandData } from './errors.ts';
import { priceLines, sameLines } from './pricing.ts';
import type { OrderEvent } from './events.ts';
import { FRAUD_CANCELLATION, type OrderState, type PlacedOrder } from './state.ts';

const notPending = (order: PlacedOrder): Decision =>
  reject('OrderNotPending', `order ${order.orderId} is ${order.status}`, { status: order.status });

/** Placing again with the same data is the client retrying with its Idempotency-Key: a no-op. */
export const placeOrder = (command: PlaceOrder, state: OrderState): Decision => {
  const offered: unknown = command.data?.paymentMethod;
  if (typeof offered === 'string' && !isGatewayToken(offered))
    return reject('CardDataNotAllowed', PAYMENT_METHOD_RULE);
  const parsed = placeOrderData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, customerId, paymentMethod, placedAt, clientKey } = parsed.data;
  const priced = priceLines(parsed.data.lines);
  if (isLeft(priced)) return priced;
  const { lines, total } = priced.right;

  if (state.status !== 'not_placed') {
    if (state.orderId !== orderId)
      return reject('OrderIdMismatch', `this stream holds order ${state.orderId}`, { orderId });
    // placedAt and clientKey are left out: a retried request is stamped again by the clock, and may come
    // from another address; it is still the same order.
    const samePlacement =
      state.customerId === customerId &&
      state.paymentMethod === paymentMethod &&
      sameLines(state.lines, lines);
    return samePlacement
      ? nothingHappens
      : reject('OrderAlreadyPlaced', `order ${orderId} was placed with other data`, { orderId });
  }
  return right([
    {
      type: 'OrderPlaced',
      data: {
        orderId,
        customerId,
        lines,
        total,
        paymentMethod,
        placedAt,
        ...(clientKey === undefined ? {} : { clientKey }),
      },
    },
  ]);
};

/**
 * The fraud rules' decision, recorded once, before any stock is reserved. Enforced, a block cancels
 * the order in the same append, and a review holds it; a repeat of the recorded decision is a no-op.
 */
export const screenOrder = (command: ScreenOrder, state: OrderState): Decision => {
  const parsed = screenOrderData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, decision, rule, enforced, measures, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  if (order.screening) {
    const same =
      order.screening.decision === decision &&
      order.screening.rule === rule &&
      order.screening.enforced === enforced;
    return same
      ? nothingHappens
      : reject('OrderAlreadyScreened', `order ${orderId} was screened already`, {
          decision: order.screening.decision,
        });
  }
  if (order.status !== 'pending') return notPending(order);
  if (order.reservedSkus.length > 0 || order.paymentAuthorized)
    return reject('ScreenedTooLate', `order ${orderId} holds stock already: the rules come before that`);
  const screened: OrderEvent = {
    type: 'OrderScreened',
    data: { orderId, decision, rule, enforced, measures, at },
  };
  if (enforced && decision === 'block')
    return right([screened, { type: 'OrderCancelled', data: { orderId, reason: FRAUD_CANCELLATION, at } }]);
  return right([screened]);
};

/** An admin decides on an order held for review: approved, it goes on; rejected, it is cancelled. */
export const reviewOrder = (command: ReviewOrder, state: OrderState): Decision => {
  const parsed = reviewOrderData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, decision, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  if (order.status !== 'review') {
    if (order.review?.decision === decision) return nothingHappens;
    return reject('OrderNotInReview', `order ${orderId} is ${order.status}, not held for review`, {
      status: order.status,
    });
  }
  const reviewed: OrderEvent = { type: 'OrderReviewed', data: { orderId, decision, at } };
  if (decision === 'approve') return right([reviewed]);
  return right([reviewed, { type: 'OrderCancelled', data: { orderId, reason: FRAUD_CANCELLATION, at } }]);
};

export const recordLineReserved = (command: RecordLineReserved, state: OrderState): Decision => {
  const parsed = recordLineReservedData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, sku, quantity, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  const line = order.lines.find((l) => l.sku === sku);
  if (line === undefined) return reject('UnknownOrderLine', `order ${orderId} has no line ${sku}`, { sku });
  if (line.quantity !== quantity)
    return reject('LineQuantityMismatch', `line ${sku} is for ${line.quantity}`, {
      sku,
      ordered: line.quantity,
      quantity,
    });
  if (order.reservedSkus.includes(sku)) return nothingHappens;
  if (order.status !== 'pending') return notPending(order);
  return right([{ type: 'OrderLineReserved', data: { orderId, sku, quantity, at } }]);
};

/** The first shortfall decides the order's fate; later ones add nothing. */
export const rejectForStock = (command: RejectForStock, state: OrderState): Decision => {
  const parsed = rejectForStockData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, sku, requested, available, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  if (available >= requested)
    return reject('InvalidCommandData', 'a shortfall needs fewer units available than requested', {
      fields: [{ field: 'available', problem: 'must be less than requested' }],
    });
  if (!order.lines.some((l) => l.sku === sku))
    return reject('UnknownOrderLine', `order ${orderId} has no line ${sku}`, { sku });
  if (order.stockRejection !== null) return nothingHappens;
  if (order.status !== 'pending') return notPending(order);
  return right([{ type: 'OrderStockRejected', data: { orderId, sku, requested, available, at } }]);
};

export const recordPaymentAuthorized = (command: RecordPaymentAuthorized, state: OrderState): Decision => {
  const parsed = recordPaymentAuthorizedData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, paymentId, amount, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  if (order.paymentAuthorized)
    return order.paymentId === paymentId
      ? nothingHappens
      : reject('PaymentAlreadyAuthorized', `order ${orderId} is already paid by ${order.paymentId}`, {
          paymentId,
        });
  if (order.status !== 'pending') return notPending(order);
  if (!sameMoney(amount, order.total))
    return reject('PaymentAmountMismatch', 'the authorized amount is not the order total', {
      total: order.total,
      amount,
    });
  return right([{ type: 'OrderPaymentAuthorized', data: { orderId, paymentId, amount, at } }]);
};

export const recordPaymentFailed = (command: RecordPaymentFailed, state: OrderState): Decision => {
  const parsed = recordPaymentFailedData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, reason, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  if (order.paymentFailureReason === reason) return nothingHappens;
  if (order.paymentAuthorized)
    return reject('PaymentAlreadyAuthorized', `order ${orderId} is already paid`, {
      paymentId: order.paymentId,
    });
  if (order.status !== 'pending') return notPending(order);
  return right([{ type: 'OrderPaymentFailed', data: { orderId, reason, at } }]);
};

/** Only a fully reserved, paid order is confirmed: the platform never keeps money without stock. */
export const confirmOrder = (command: ConfirmOrder, state: OrderState): Decision => {
  const parsed = confirmOrderData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  if (order.status === 'confirmed') return nothingHappens;
  if (order.status !== 'pending') return notPending(order);
  if (order.stockRejection !== null)
    return reject('StockRejected', `order ${orderId} was short of ${order.stockRejection.sku}`, {
      ...order.stockRejection,
    });
  const unreserved = order.lines.map((l) => l.sku).filter((sku) => !order.reservedSkus.includes(sku));
  if (unreserved.length > 0)
    return reject('LinesNotReserved', `order ${orderId} still waits for stock`, {
      unreservedSkus: unreserved,
    });
  if (!order.paymentAuthorized) return reject('PaymentNotAuthorized', `order ${orderId} is not paid yet`);
  return right([{ type: 'OrderConfirmed', data: { orderId, at } }]);
};

export const cancelOrder = (command: CancelOrder, state: OrderState): Decision => {
  const parsed = cancelOrderData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, reason, at } = parsed.data;
  const found = existingOrder(state, orderId);
  if (isLeft(found)) return found;
  const order = found.right;
  if (order.status === 'cancelled') return nothingHappens;
  // An order held for review holds nothing yet: its customer may call it off as a pending one.
  if (order.status !== 'pending' && order.status !== 'review') return notPending(order);
  return right([{ type: 'OrderCancelled', data: { orderId, reason, at } }]);
};

export const decide = (command: OrderCommand, state: OrderState): Decision => {
  switch (command.type) {
    case 'PlaceOrder':
      return placeOrder(command, state);
    case 'ScreenOrder':
      return screenOrder(command, state);
    case 'ReviewOrder':
      return reviewOrder(command, state);
    case 'RecordLineReserved':
      return recordLineReserved(command, state);
    case 'RejectForStock':
      return rejectForStock(command, state);
    case 'RecordPaymentAuthorized':
      return recordPaymentAuthorized(command, state);
    case 'RecordPaymentFailed':
      return recordPaymentFailed(command, state);
    case 'ConfirmOrder':
      return confirmOrder(command, state);
    case 'CancelOrder':
      return cancelOrder(command, state);
    case 'ShipOrderLines':
      return shipOrderLines(command, state);
    case 'MarkShipmentDelivered':
      return markShipmentDelivered(command, state);
    case 'CancelConfirmedOrder':
      return cancelConfirmedOrder(command, state);
    case 'RequestReturn':
      return requestReturn(command, state);
    case 'ReceiveReturn':
      return receiveReturn(command, state);
    case 'RecordStockReturned':
      return recordStockReturned(command, state);
    case 'RequestRefund':
      return requestRefund(command, state);
    case 'RecordRefundIssued':
      return recordRefundIssued(command, state);
    case 'RecordRefundFailed':
      return recordRefundFailed(command, state);
    default:
      return unknownCommand(command);
  }
};

/** Unreachable for typed callers; a command decoded from JSON can still carry any type. */
const unknownCommand = (command: never): Decision =>
  reject('InvalidCommandData', `unknown order command ${String((command as { type?: unknown }).type)}`);
