import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { DomainError } from '../domain/decider.ts';
import type { OrderError, PlacedOrder } from '../domain/order/index.ts';
import type { CommandContext } from './command-handler.ts';
import { streams, type CommandHandlers } from './index.ts';
import { visibleTo, type OrderReader } from './order-access.ts';

export type CancelOrderDependencies = Readonly<{ orders: Pick<CommandHandlers['order'], 'load' | 'handle'> }>;

export type CancelOrderRequest = Readonly<{ orderId: string; by: OrderReader; context: CommandContext }>;

export type CancelOrderError =
  | OrderError
  /** Auditors read orders; they do not change them. */
  | DomainError<'ReadOnlyRole'>;

/**
 * The customer (or an admin) cancels an order still pending; cancelling it again changes nothing. An
 * order the caller may not see is not found, whoever asks.
 */
export async function cancelOrder(
  deps: CancelOrderDependencies,
  request: CancelOrderRequest,
): Promise<Either<CancelOrderError, PlacedOrder>> {
  const { orderId, by, context } = request;
  const stream = streams.order(orderId);
  const { state } = await deps.orders.load(stream);
  if (!visibleTo(state, by)) return left({ code: 'OrderNotFound', message: `order ${orderId} not found` });
  if (by.role === 'auditor')
    return left({ code: 'ReadOnlyRole', message: 'auditors read orders; they do not change them' });
  const at = (context.now ?? new Date()).toISOString();
  const cancelled = await deps.orders.handle(
    stream,
    { type: 'CancelOrder', data: { orderId, reason: 'cancelled_by_customer', at } },
    context,
  );
  if (isLeft(cancelled)) return cancelled;
  return right(cancelled.right.state as PlacedOrder);
}
