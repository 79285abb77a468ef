import { isLeft, right, type Either } from 'fp-ts/lib/Either.js';
import type { Money } from '../domain/money.ts';
import type { OrderError } from '../domain/order/index.ts';
import { refundIdFor } from './after-sale-ids.ts';
import type { CommandContext } from './command-handler.ts';
import { streams, type CommandHandlers } from './index.ts';

export type RefundDependencies = Readonly<{ orders: Pick<CommandHandlers['order'], 'handle'> }>;

export type RefundRequest = Readonly<{
  orderId: string;
  idempotencyKey: string;
  amount: Money;
  reason: string;
  context: CommandContext;
}>;

/**
 * An admin promises money back: recorded on the order (never more than was paid minus what was
 * promised already, however many admins ask at once); the refund process carries it out.
 */
export async function requestRefund(
  deps: RefundDependencies,
  request: RefundRequest,
): Promise<Either<OrderError, { refundId: string }>> {
  const { orderId, amount, reason, context } = request;
  const refundId = refundIdFor(orderId, request.idempotencyKey);
  const requested = await deps.orders.handle(
    streams.order(orderId),
    {
      type: 'RequestRefund',
      data: {
        orderId,
        refundId,
        amount: { ...amount },
        reason,
        at: (context.now ?? new Date()).toISOString(),
      },
    },
    context,
  );
  return isLeft(requested) ? requested : right({ refundId });
}
