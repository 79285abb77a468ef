import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { DomainError } from '../domain/decider.ts';
import type { OrderError } from '../domain/order/index.ts';
import { receiptRefundId, returnIdFor } from './after-sale-ids.ts';
import type { CommandContext } from './command-handler.ts';
import { streams, type CommandHandlers } from './index.ts';
import { visibleTo, type OrderReader } from './order-access.ts';

export type ReturnDependencies = Readonly<{
  orders: Pick<CommandHandlers['order'], 'load' | 'handle'>;
  /** How many days after a shipment's delivery its units may be sent back (RETURN_WINDOW_DAYS). */
  returnWindowDays: number;
  /** The order a return belongs to (the order-history read model), undefined when unknown. */
  orderOfReturn(returnId: string): Promise<string | undefined>;
}>;

export type ReturnRequest = Readonly<{
  orderId: string;
  by: OrderReader;
  idempotencyKey: string;
  lines: readonly Readonly<{ sku: string; quantity: number }>[];
  reason: string;
  context: CommandContext;
}>;

type ReturnError = OrderError | DomainError<'OrderNotFound'>;

/** A customer asks to send back delivered units of their own order; anyone else's is not found. */
export async function requestReturn(
  deps: ReturnDependencies,
  request: ReturnRequest,
): Promise<Either<ReturnError, { returnId: string }>> {
  const { orderId, by, lines, reason, context } = request;
  const stream = streams.order(orderId);
  const { state } = await deps.orders.load(stream);
  if (!visibleTo(state, by) || state.customerId !== by.userId)
    return left({ code: 'OrderNotFound', message: `order ${orderId} not found` });
  const returnId = returnIdFor(orderId, by.userId, request.idempotencyKey);
  const requested = await deps.orders.handle(
    stream,
    {
      type: 'RequestReturn',
      data: {
        orderId,
        returnId,
        lines: lines.map((l) => ({ ...l })),
        reason,
        at: (context.now ?? new Date()).toISOString(),
        windowDays: deps.returnWindowDays,
      },
    },
    context,
  );
  return isLeft(requested) ? requested : right({ returnId });
}

export type ReceiptRequest = Readonly<{
  returnId: string;
  lines: readonly Readonly<{ sku: string; quantity: number; restock: boolean }>[];
  context: CommandContext;
}>;

/**
 * An admin receives a return line by line: the order records what arrived and the refund of its
 * price at once; the refund process then restocks and refunds.
 */
export async function receiveReturn(
  deps: ReturnDependencies,
  request: ReceiptRequest,
): Promise<Either<ReturnError | DomainError<'ReturnNotFound'>, { returnId: string; orderId: string }>> {
  const { returnId, lines, context } = request;
  const orderId = await deps.orderOfReturn(returnId);
  if (orderId === undefined) return left({ code: 'ReturnNotFound', message: `return ${returnId} not found` });
  const received = await deps.orders.handle(
    streams.order(orderId),
    {
      type: 'ReceiveReturn',
      data: {
        orderId,
        returnId,
        lines: lines.map((l) => ({ ...l })),
        refundId: receiptRefundId(returnId),
        at: (context.now ?? new Date()).toISOString(),
      },
    },
    context,
  );
  return isLeft(received) ? received : right({ returnId, orderId });
}
