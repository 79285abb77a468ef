import type { FastifyPluginAsync } from 'fastify';
import { isLeft } from 'fp-ts/lib/Either.js';
import { streams } from '../commands/index.ts';
import {
  toGatewayPaymentEvent,
  verifyStripeWebhook,
  WebhookSignatureError,
} from '../payments/stripe-webhooks.ts';
import type { Platform } from '../platform.ts';
import { enqueueOrder } from '../sagas/checkout/saga-queue.ts';
import { HttpProblem } from './problem.ts';

/**
 * POST /webhooks/stripe: what Stripe tells us after the fact, e.g. an authorization that succeeded
 * after the saga had given up on a timed-out call. The signature is checked over the raw body; an
 * unsigned or tampered call is refused and changes nothing. A late authorization is recorded and the
 * order goes back to the saga, which voids it if the order was cancelled meanwhile.
 */
export const webhookRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  // Only inside this plugin: keep the body as the exact bytes Stripe signed.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  app.post('/webhooks/stripe', { schema: { tags: ['payments'], hide: false } }, async (request) => {
    const secret = platform.config.STRIPE_WEBHOOK_SECRET ?? '';
    const signature = request.headers['stripe-signature'];
    let event;
    try {
      event = verifyStripeWebhook(
        request.body as string,
        typeof signature === 'string' ? signature : undefined,
        secret,
      );
    } catch (error) {
      if (error instanceof WebhookSignatureError)
        throw new HttpProblem(400, 'webhook-signature', 'Webhook rejected', error.message, {
          reason: error.reason,
        });
      throw error;
    }
    const payment = toGatewayPaymentEvent(event);
    if (!payment?.orderId) return { received: true, acted: false };
    const { orderId, gatewayRef } = payment;
    if (payment.kind === 'authorized') {
      const { state } = await platform.commands.payment.load(streams.payment(orderId));
      if (state.status === 'requested' || state.status === 'failed') {
        const recorded = await platform.commands.payment.handle(
          streams.payment(orderId),
          {
            type: 'RecordAuthorization',
            data: { orderId, gatewayRef, amount: state.amount, at: new Date().toISOString() },
          },
          { actor: { id: 'stripe', role: 'gateway' }, correlationId: event.id, causationId: event.id },
        );
        if (isLeft(recorded))
          request.log.warn({ orderId, code: recorded.left.code }, 'late authorization not recorded');
      }
    }
    await enqueueOrder(platform.db, orderId);
    return { received: true, acted: true };
  });
};
