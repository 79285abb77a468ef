import type { FastifyPluginAsync } from 'fastify';
import { recordGatewayNotice, type GatewayNoticeDependencies } from '../commands/payment-webhook.ts';
import {
  toGatewayPaymentEvent,
  verifyStripeWebhook,
  WebhookSignatureError,
} from '../payments/stripe-webhooks.ts';
import { HttpProblem } from './problem.ts';

export type WebhookDependencies = GatewayNoticeDependencies &
  Readonly<{
    /** Stripe's signing secret of this endpoint (none set: every call is refused). */
    stripeWebhookSecret: string | undefined;
  }>;

/**
 * POST /webhooks/stripe: what Stripe tells us after the fact, e.g. an authorization that succeeded
 * after the saga had given up on a timed-out call. The signature is checked over the raw body; an
 * unsigned or tampered call is refused and changes nothing. What the notice means is
 * recordGatewayNotice's business.
 */
export const webhookRoutes: FastifyPluginAsync<{ webhooks: WebhookDependencies }> = async (
  app,
  { webhooks },
) => {
  // Only inside this plugin: keep the body as the exact bytes Stripe signed.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  app.post('/webhooks/stripe', { schema: { tags: ['payments'], hide: false } }, async (request) => {
    const signature = request.headers['stripe-signature'];
    let event;
    try {
      event = verifyStripeWebhook(
        request.body as string,
        typeof signature === 'string' ? signature : undefined,
        webhooks.stripeWebhookSecret ?? '',
      );
    } catch (error) {
      if (error instanceof WebhookSignatureError)
        throw new HttpProblem(400, 'webhook-signature', 'Webhook rejected', error.message, {
          reason: error.reason,
        });
      throw error;
    }
    const payment = toGatewayPaymentEvent(event);
    if (!payment) return { received: true, acted: false };
    const outcome = await recordGatewayNotice(webhooks, { ...payment, noticeId: event.id });
    if (outcome.acted && outcome.refused)
      request.log.warn(
        { orderId: outcome.orderId, code: outcome.refused.code },
        'late authorization not recorded',
      );
    return { received: true, acted: outcome.acted };
  });
};
