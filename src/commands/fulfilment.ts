import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { OrderError } from '../domain/order/index.ts';
import { cancellationRefundId, shipmentIdFor } from './after-sale-ids.ts';
import type { CommandContext } from './command-handler.ts';
import { streams, type CommandHandlers } from './index.ts';

/** An admin's work on a paid order: ship it (in parts), mark shipments delivered, or cancel it. */
export type FulfilmentDependencies = Readonly<{ orders: Pick<CommandHandlers['order'], 'handle'> }>;

const at = (context: CommandContext) => (context.now ?? new Date()).toISOString();

export type ShipmentRequest = Readonly<{
  orderId: string;
  idempotencyKey: string;
  lines: readonly Readonly<{ sku: string; quantity: number }>[];
  carrier: string;
  trackingNumber: string;
  context: CommandContext;
}>;

/** Ships part (or the rest) of a confirmed order; the same key again answers the same shipment. */
export async function shipOrderLines(
  deps: FulfilmentDependencies,
  request: ShipmentRequest,
): Promise<Either<OrderError, { shipmentId: string }>> {
  const { orderId, lines, carrier, trackingNumber, context } = request;
  const shipmentId = shipmentIdFor(orderId, request.idempotencyKey);
  const shipped = await deps.orders.handle(
    streams.order(orderId),
    {
      type: 'ShipOrderLines',
      data: {
        orderId,
        shipmentId,
        lines: lines.map((l) => ({ ...l })),
        carrier,
        trackingNumber,
        at: at(context),
      },
    },
    context,
  );
  return isLeft(shipped) ? shipped : right({ shipmentId });
}

export async function markShipmentDelivered(
  deps: FulfilmentDependencies,
  request: Readonly<{ orderId: string; shipmentId: string; context: CommandContext }>,
): Promise<Either<OrderError, { shipmentId: string; deliveredAt: string }>> {
  const { orderId, shipmentId, context } = request;
  const delivered = await deps.orders.handle(
    streams.order(orderId),
    { type: 'MarkShipmentDelivered', data: { orderId, shipmentId, at: at(context) } },
    context,
  );
  if (isLeft(delivered)) return delivered;
  const state = delivered.right.state;
  const shipment =
    state.status === 'not_placed' ? undefined : state.shipments.find((s) => s.shipmentId === shipmentId);
  return shipment?.deliveredAt
    ? right({ shipmentId, deliveredAt: shipment.deliveredAt })
    : left({ code: 'ShipmentNotFound', message: `order ${orderId} has no shipment ${shipmentId}` });
}

/**
 * An admin cancels a confirmed order that has not shipped: the order records the cancellation and the
 * refund of all that was paid at once; the refund process then puts the stock back on hand and refunds
 * (or voids) the payment.
 */
export async function cancelPaidOrder(
  deps: FulfilmentDependencies,
  request: Readonly<{ orderId: string; reason: string; context: CommandContext }>,
): Promise<Either<OrderError, { orderId: string; status: string; refundId: string | null }>> {
  const { orderId, reason, context } = request;
  const refundId = cancellationRefundId(orderId);
  const cancelled = await deps.orders.handle(
    streams.order(orderId),
    { type: 'CancelConfirmedOrder', data: { orderId, reason, refundId, at: at(context) } },
    context,
  );
  if (isLeft(cancelled)) return cancelled;
  const { state } = cancelled.right;
  const refunded = state.status !== 'not_placed' && state.refunds.some((r) => r.refundId === refundId);
  return right({ orderId, status: state.status, refundId: refunded ? refundId : null });
}
