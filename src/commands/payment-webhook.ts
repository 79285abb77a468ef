import { isLeft } from 'fp-ts/lib/Either.js';
import type { PaymentError } from '../domain/payment/index.ts';
import type { GatewayPaymentEvent } from '../payments/stripe-webhooks.ts';
import type { CommandContext } from './command-handler.ts';
import { streams, type CommandHandlers } from './index.ts';

/** What the payment gateway told us after the fact, with the id of its notice. */
export type GatewayNotice = GatewayPaymentEvent & Readonly<{ noticeId: string; receivedAt?: Date }>;

export type GatewayNoticeDependencies = Readonly<{
  payments: Pick<CommandHandlers['payment'], 'load' | 'handle'>;
  /** Puts the order back in front of the checkout saga, which decides what the notice means for it. */
  enqueue(orderId: string): Promise<void>;
}>;

export type NoticeOutcome =
  | Readonly<{ acted: false }>
  /** `refused`: a late authorization the payment stream did not take (e.g. another one is recorded). */
  | Readonly<{ acted: true; orderId: string; refused?: PaymentError }>;

/**
 * Acts on a gateway notice about an order: a late authorization (one that succeeded after the saga had
 * given up on a timed-out call) is recorded on the payment stream, and the order goes back to the
 * saga, which voids it if the order was cancelled meanwhile. A notice about no order changes nothing.
 */
export async function recordGatewayNotice(
  deps: GatewayNoticeDependencies,
  notice: GatewayNotice,
): Promise<NoticeOutcome> {
  const { orderId, gatewayRef } = notice;
  if (!orderId) return { acted: false };
  let refused: PaymentError | undefined;
  if (notice.kind === 'authorized') {
    const stream = streams.payment(orderId);
    const { state } = await deps.payments.load(stream);
    // The gateway's notice carries no amount: it is the one requested, so there must be a request.
    if (state.status !== 'not_requested') {
      const context: CommandContext = {
        actor: { id: 'stripe', role: 'gateway' },
        correlationId: notice.noticeId,
        causationId: notice.noticeId,
        ...(notice.receivedAt ? { now: notice.receivedAt } : {}),
      };
      const at = (notice.receivedAt ?? new Date()).toISOString();
      const recorded = await deps.payments.handle(
        stream,
        { type: 'RecordAuthorization', data: { orderId, gatewayRef, amount: state.amount, at } },
        context,
      );
      if (isLeft(recorded)) refused = recorded.left;
    }
  }
  await deps.enqueue(orderId);
  return refused ? { acted: true, orderId, refused } : { acted: true, orderId };
}
