import type { SkuQuantity } from './events.ts';
import type { OrderReturn, PlacedOrder, Refund } from './state.ts';

/** What the order's facts add up to: the quantities its rules (decide.ts) and its readers count. */

const quantityOf = (lines: readonly SkuQuantity[], sku: string) =>
  lines.reduce((sum, line) => (line.sku === sku ? sum + line.quantity : sum), 0);

export const orderedUnits = (order: PlacedOrder, sku: string) => quantityOf(order.lines, sku);

export const shippedUnits = (order: PlacedOrder, sku: string) =>
  order.shipments.reduce((sum, shipment) => sum + quantityOf(shipment.lines, sku), 0);

export const deliveredUnits = (order: PlacedOrder, sku: string) =>
  order.shipments
    .filter((shipment) => shipment.deliveredAt !== null)
    .reduce((sum, shipment) => sum + quantityOf(shipment.lines, sku), 0);

/** Units a return stands for: what was asked while it is on its way, what arrived once received. */
const claimedBy = (r: OrderReturn, sku: string) =>
  r.status === 'requested' ? quantityOf(r.lines, sku) : quantityOf(r.received, sku);

/** Units of `sku` asked back or received back: no return may make this exceed what was delivered. */
export const claimedUnits = (order: PlacedOrder, sku: string) =>
  order.returns.reduce((sum, r) => sum + claimedBy(r, sku), 0);

/** Units of `sku` that arrived back (what the order page shows as returned). */
export const returnedUnits = (order: PlacedOrder, sku: string) =>
  order.returns.reduce((sum, r) => sum + quantityOf(r.received, sku), 0);

/**
 * Units of `sku` a customer may still ask back at `at`: delivered and not asked back already, and
 * no more than the shipments delivered within the window hold (earlier returns are counted against
 * the oldest deliveries first, the reading most favourable to the customer).
 */
export function returnableUnits(order: PlacedOrder, sku: string, at: string, windowDays: number) {
  const open = deliveredUnits(order, sku) - claimedUnits(order, sku);
  const windowMs = windowDays * 24 * 60 * 60 * 1000;
  const inWindow = order.shipments
    .filter((s) => s.deliveredAt !== null && Date.parse(at) - Date.parse(s.deliveredAt) <= windowMs)
    .reduce((sum, shipment) => sum + quantityOf(shipment.lines, sku), 0);
  return Math.min(open, inWindow);
}

/** A refund that still stands for money going back: asked, retrying or issued (not rejected). */
const promised = (refund: Refund) => refund.status !== 'rejected';

/** Minor units promised back so far (issued, or on their way). */
export const promisedRefunds = (order: PlacedOrder) =>
  order.refunds.filter(promised).reduce((sum, refund) => sum + refund.amount.amount, 0);

/** Minor units that may still be promised back: what was paid minus what was promised already. */
export const refundableAmount = (order: PlacedOrder) => order.total.amount - promisedRefunds(order);

/** Refunds the refund process still has to carry out. */
export const openRefunds = (order: PlacedOrder) =>
  order.refunds.filter((r) => r.status === 'requested' || r.status === 'failed');

/** Received units still to go back on hand, per return and SKU. */
export const pendingRestocks = (order: PlacedOrder) =>
  order.returns.flatMap((r) =>
    r.received
      .filter((line) => line.restock && !r.restockedSkus.includes(line.sku))
      .map((line) => ({ returnId: r.returnId, sku: line.sku, quantity: line.quantity })),
  );

/** Lines of an order cancelled after payment whose committed units are not back on hand yet. */
export const pendingCancellationStock = (order: PlacedOrder) =>
  order.cancelledAfterPayment
    ? order.lines.filter((line) => !order.stockReturnedSkus.includes(line.sku))
    : [];
