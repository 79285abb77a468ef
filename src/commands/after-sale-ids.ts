import { v5 as uuidv5 } from 'uuid';

/**
 * The ids of what happens to an order after the sale, derived from the client's Idempotency-Key: a
 * retried request finds the shipment, return or refund it made the first time, whatever process
 * serves it. A cancellation and a receipt happen once per order or return, so their refunds are
 * named after them.
 */
const AFTER_SALE_NAMESPACE = '8d4a7f61-2c0e-4b9a-a7d3-5e61f0c2b8e4';

const idOf = (...parts: string[]) => uuidv5(parts.join('\n'), AFTER_SALE_NAMESPACE);

export const shipmentIdFor = (orderId: string, idempotencyKey: string) =>
  idOf('shipment', orderId, idempotencyKey);
export const refundIdFor = (orderId: string, idempotencyKey: string) =>
  idOf('refund', orderId, idempotencyKey);
export const returnIdFor = (orderId: string, customerId: string, idempotencyKey: string) =>
  idOf('return', orderId, customerId, idempotencyKey);
export const cancellationRefundId = (orderId: string) => idOf('cancellation-refund', orderId);
export const receiptRefundId = (returnId: string) => idOf('receipt-refund', returnId);
