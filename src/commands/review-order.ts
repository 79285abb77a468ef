import { isLeft, right, type Either } from 'fp-ts/lib/Either.js';
import type { OrderError, PlacedOrder } from '../domain/order/index.ts';
import type { CommandContext } from './command-handler.ts';
import { streams, type CommandHandlers } from './index.ts';

export type ReviewOrderDependencies = Readonly<{ orders: Pick<CommandHandlers['order'], 'handle'> }>;

export type ReviewOrderRequest = Readonly<{
  orderId: string;
  decision: 'approve' | 'reject';
  context: CommandContext;
}>;

/**
 * An admin's decision on an order a fraud rule held: approved, the checkout saga takes it up again
 * (its queue follows the review); rejected, it is cancelled as `fraud_suspected`. The same decision
 * again changes nothing; another one, or an order not held, is refused (`OrderNotInReview`).
 */
export async function reviewOrder(
  deps: ReviewOrderDependencies,
  { orderId, decision, context }: ReviewOrderRequest,
): Promise<Either<OrderError, PlacedOrder>> {
  const at = (context.now ?? new Date()).toISOString();
  const reviewed = await deps.orders.handle(
    streams.order(orderId),
    { type: 'ReviewOrder', data: { orderId, decision, at } },
    context,
  );
  // Only a placed order can be reviewed: a decision that stands is about one.
  return isLeft(reviewed) ? reviewed : right(reviewed.right.state as PlacedOrder);
}
