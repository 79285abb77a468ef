import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isLeft } from 'fp-ts/lib/Either.js';
import { z } from 'zod';
import { placeOrder, type CheckoutDependencies } from '../commands/checkout.ts';
import {
  GATEWAY_TOKEN_PATTERN,
  MAX_PAYMENT_METHOD_LENGTH,
  PAYMENT_METHOD_RULE,
} from '../domain/payment/card-data.ts';
import { caller, requireRole } from './auth.ts';
import { commandContext } from './context.ts';
import { domainProblem, HttpProblem } from './problem.ts';

const checkoutBody = z.strictObject({
  paymentMethod: z
    .string()
    .max(MAX_PAYMENT_METHOD_LENGTH)
    .regex(GATEWAY_TOKEN_PATTERN, PAYMENT_METHOD_RULE)
    .describe('A gateway token such as pm_card_visa (pm_…, tok_…, card_…); never a card number'),
});
const accepted = z.object({ orderId: z.string(), status: z.string(), statusUrl: z.string() });

/** POST /checkout: places the cart as an order and answers 202 at once; the saga does the rest. */
export const checkoutRoutes: FastifyPluginAsync<{ checkout: CheckoutDependencies }> = async (
  app,
  { checkout },
) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/checkout',
    {
      onRequest: requireRole('customer'),
      schema: {
        tags: ['checkout'],
        security: [{ bearer: [] }],
        headers: z.object({
          'idempotency-key': z
            .string()
            .min(8)
            .max(200)
            .regex(/^[\w.:-]+$/),
        }),
        body: checkoutBody,
        response: { 202: accepted },
      },
    },
    async (request, reply) => {
      const result = await placeOrder(checkout, {
        customerId: caller(request).userId,
        idempotencyKey: request.headers['idempotency-key'],
        paymentMethod: request.body.paymentMethod,
        clientAddress: request.ip,
        context: commandContext(request),
      });
      if (isLeft(result)) {
        if (result.left.code === 'IdempotencyKeyReused')
          throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused', result.left.message);
        if (result.left.code === 'SoldOut')
          throw new HttpProblem(409, 'sold-out', 'Sold out', result.left.message, {
            code: 'SoldOut',
            details: { skus: result.left.details?.skus ?? [] },
          });
        if (result.left.code === 'CartEmpty' || result.left.code === 'ProductUnavailable')
          throw new HttpProblem(422, 'cannot-check-out', 'Cannot check out', result.left.message, {
            code: result.left.code,
          });
        throw domainProblem(result.left);
      }
      const order = result.right;
      return reply
        .code(202)
        .header('location', `/orders/${order.orderId}`)
        .send({ orderId: order.orderId, status: order.status, statusUrl: `/orders/${order.orderId}` });
    },
  );
};
